/**
 * `pulumi-nodejs:dynamic/render:EnvVarSet`: one env-var set pushed, as a complete merged set, to
 * every service it lists (DESIGN.md, "Env-var sets"). Services are pushed in parallel (within
 * the client's rate limit); a failure on one service names it, leaves the others complete, and
 * is recorded so the next `pulumi up` converges. Values travel as one secret input and never
 * appear in a diff, a log line or an error; outputs name keys only.
 */
import * as pulumi from "@pulumi/pulumi";
import { RenderClientSettings } from "../../provider/render/client";
import { settleWithLimit } from "../../provider/render/concurrency";
import { ApiInputs, rememberConfig, renderApiKey } from "../../provider/render/credentials";
import { withoutUndefined } from "../../provider/render/plain";
import { pushEnvVars, PushError, readEnvVars, redact } from "../../provider/render/envPush";

/** Services pushed at once; the client's rate limit paces the requests. */
const SERVICE_CONCURRENCY = 10;

export interface EnvVarSetInputs {
  setName: string;
  /** Service names receiving the set. */
  services: string[];
  /** Render id of every service, by name. */
  serviceIds: Record<string, string>;
  environment: string;
  /** Every declared key (all services), plain. */
  keys: string[];
  /** Declared keys whose value is not a secret reference. */
  plainKeys: string[];
  /** Declared keys per service (set layer + the service's overrides). */
  serviceKeys: Record<string, string[]>;
  /** Secret: per service, the declared keys and values. */
  values: Record<string, Record<string, string>>;
  baseUrl: string;
  /** Config key (in `fleetgate:`) holding the API key; RENDER_API_KEY otherwise. */
  apiKeyConfig?: string;
  /** Client-side rate limit (requests per second). */
  requestsPerSecond?: number;
}

export interface EnvVarSetOutputs extends EnvVarSetInputs {
  /** Keys this set wrote and owns, per service (removed from the service when no longer declared). */
  ownedKeys: Record<string, string[]>;
  /** Keys found on each service that this set does not own. */
  foreignKeys: Record<string, string[]>;
  /** Changes whenever the pushed set of a service changes; the deploy step takes it as a trigger. */
  versions: Record<string, string>;
  /** Services whose last push failed (the next update retries them). */
  failedServices: string[];
}

function settings(inputs: ApiInputs): RenderClientSettings {
  return {
    baseUrl: inputs.baseUrl,
    apiKey: renderApiKey(inputs.apiKeyConfig),
    requestsPerSecond: inputs.requestsPerSecond,
  };
}

function newVersion(): string {
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

/** JSON with sorted object keys, for comparing inputs. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v && typeof v === "object") {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(v) ?? "null";
}

function allValues(values: Record<string, Record<string, string>> | undefined): string[] {
  return Object.values(values ?? {}).flatMap((m) => Object.values(m ?? {}));
}

interface ServiceOutcome {
  name: string;
  ok: boolean;
  /** Whether a PUT may have reached the service (then the declared keys count as owned). */
  wrote: boolean;
  foreignKeys: string[];
  error?: string;
}

/**
 * Pushes the set to every service and removes the owned keys from services that left the set.
 * Returns the outputs; throws a partial-state error (engine `ErrorResourceInitFailed`) when any
 * service failed, so the state records what did change.
 */
async function pushAll(
  id: string,
  news: EnvVarSetInputs,
  olds?: Partial<EnvVarSetOutputs>,
): Promise<EnvVarSetOutputs> {
  const s = settings(news);
  const secrets = allValues(news.values).concat(allValues(olds?.values));
  const oldOwned = (name: string): string[] => {
    // A service replaced since the last push (new id) starts owning nothing.
    if (!olds?.serviceIds || olds.serviceIds[name] !== news.serviceIds[name]) return [];
    return olds.ownedKeys?.[name] ?? [];
  };
  // Services that left the set (or whose cleanup failed last time, still in the id map).
  const leaving = Object.keys(olds?.serviceIds ?? {}).filter((n) => !news.services.includes(n));

  const pushes = await settleWithLimit(news.services, SERVICE_CONCURRENCY, async (name) => {
    const serviceId = news.serviceIds[name];
    if (!serviceId) throw Object.assign(new Error(`no Render id for service "${name}"`), { wrote: false });
    return pushEnvVars(s, serviceId, news.values[name] ?? {}, oldOwned(name));
  });
  const cleanups = await settleWithLimit(leaving, SERVICE_CONCURRENCY, async (name) => {
    try {
      return await pushEnvVars(s, olds!.serviceIds![name], {}, olds?.ownedKeys?.[name] ?? []);
    } catch (e) {
      if ((e as { status?: number }).status === 404) return undefined; // service gone: nothing to clean
      throw e;
    }
  });

  const outcome = (name: string, r: PromiseSettledResult<unknown>): ServiceOutcome => {
    if (r.status === "fulfilled") {
      const value = r.value as { foreignKeys?: string[] } | undefined;
      return { name, ok: true, wrote: true, foreignKeys: value?.foreignKeys ?? [] };
    }
    const err = r.reason as PushError;
    const sid = news.serviceIds[name] ?? olds?.serviceIds?.[name] ?? "?";
    const message = `service "${name}" (${sid}): ${redact(err?.message ?? String(err), secrets)}`;
    return { name, ok: false, wrote: err?.wrote !== false, foreignKeys: [], error: message };
  };
  const results = pushes.map((r, i) => outcome(news.services[i], r));
  const cleanupResults = cleanups.map((r, i) => outcome(leaving[i], r));

  const ownedKeys: Record<string, string[]> = {};
  const foreignKeys: Record<string, string[]> = {};
  const versions: Record<string, string> = {};
  for (const r of results) {
    const declared = news.serviceKeys[r.name] ?? Object.keys(news.values[r.name] ?? {});
    if (r.ok) ownedKeys[r.name] = [...declared].sort();
    // A failed push may have written the declared keys: own both, so nothing of ours is left behind.
    else ownedKeys[r.name] = [...new Set([...oldOwned(r.name), ...(r.wrote ? declared : [])])].sort();
    foreignKeys[r.name] = r.ok ? r.foreignKeys : (olds?.foreignKeys?.[r.name] ?? []);
    const changed =
      !olds?.versions?.[r.name] ||
      (olds.values === undefined
        ? (olds.failedServices ?? []).includes(r.name)
        : canonical(olds.values[r.name]) !== canonical(news.values[r.name]) ||
          olds.serviceIds?.[r.name] !== news.serviceIds[r.name]);
    versions[r.name] = changed ? newVersion() : olds!.versions![r.name];
  }
  // Services that left the set but could not be cleaned stay tracked, so the next update retries.
  const failedCleanups = cleanupResults.filter((r) => !r.ok);
  for (const r of failedCleanups) ownedKeys[r.name] = olds?.ownedKeys?.[r.name] ?? [];

  const failed = [...results, ...failedCleanups].filter((r) => !r.ok);
  const outs: EnvVarSetOutputs = withoutUndefined({
    ...news,
    // Services that still need a cleanup stay in the id map so the retry can reach them.
    serviceIds: {
      ...Object.fromEntries(failedCleanups.map((r) => [r.name, olds!.serviceIds![r.name]])),
      ...news.serviceIds,
    },
    ownedKeys,
    foreignKeys,
    versions,
    failedServices: failed.map((r) => r.name),
  });
  if (failed.length === 0) return outs;

  const ok = results.filter((r) => r.ok).map((r) => r.name);
  const message =
    `env-var set "${news.setName}": ${failed.length} of ${results.length + failedCleanups.length} service(s) failed; ` +
    `${ok.length ? `complete sets on ${ok.join(", ")}; ` : ""}run \`pulumi up\` again to converge.\n` +
    failed.map((r) => `  - ${r.error}`).join("\n");
  // Partial state: keep everything but the values, so the next diff sees a change and retries.
  const { values: _values, ...partial } = outs;
  throw Object.assign(new Error(message), { id, properties: partial, reasons: [message] });
}

export const envVarSetProvider: pulumi.dynamic.ResourceProvider = {
  async configure(req) {
    rememberConfig(req.config);
  },

  async diff(_id, olds: EnvVarSetOutputs, news: EnvVarSetInputs) {
    const fields: (keyof EnvVarSetInputs)[] = [
      "setName",
      "services",
      "serviceIds",
      "environment",
      "keys",
      "plainKeys",
      "serviceKeys",
      "values",
      "apiKeyConfig",
    ];
    const changed = fields.filter((f) => canonical(olds[f]) !== canonical(news[f]));
    const retry = (olds.failedServices ?? []).length > 0;
    // Another API endpoint is another set of services: replace.
    const replaces = olds.baseUrl !== news.baseUrl ? ["baseUrl"] : [];
    return { changes: changed.length > 0 || retry || replaces.length > 0, replaces };
  },

  async create(inputs: EnvVarSetInputs) {
    const id = `${inputs.setName}-${newVersion()}`;
    return { id, outs: await pushAll(id, inputs) };
  },

  async update(id, olds: EnvVarSetOutputs, news: EnvVarSetInputs) {
    return { outs: await pushAll(id, news, olds) };
  },

  async read(id, props?: EnvVarSetOutputs) {
    if (!props) return { id, props };
    const s = settings(props);
    const secrets = allValues(props.values);
    const values: Record<string, Record<string, string>> = {};
    const foreignKeys: Record<string, string[]> = {};
    const serviceIds: Record<string, string> = {};
    const services: string[] = [];
    for (const name of props.services) {
      let live: Record<string, string>;
      try {
        live = await readEnvVars(s, props.serviceIds[name]);
      } catch (e) {
        if ((e as { status?: number }).status === 404) continue; // service deleted outside Pulumi
        throw new Error(
          `env-var set "${props.setName}": service "${name}": ${redact((e as Error).message, secrets)}`,
        );
      }
      services.push(name);
      serviceIds[name] = props.serviceIds[name];
      const owned = new Set(props.ownedKeys?.[name] ?? []);
      values[name] = Object.fromEntries(Object.entries(live).filter(([k]) => owned.has(k)));
      foreignKeys[name] = Object.keys(live)
        .filter((k) => !owned.has(k))
        .sort();
    }
    if (services.length === 0) return { id: "", props: {} };
    // Live values of owned keys become the inputs: a value changed by hand shows as drift and the
    // next `pulumi up` restores it.
    const refreshed = withoutUndefined({ ...props, services, serviceIds, values, foreignKeys });
    return { id, props: refreshed, inputs: refreshed };
  },

  async delete(_id, props: EnvVarSetOutputs) {
    const s = settings(props);
    const secrets = allValues(props.values);
    const results = await settleWithLimit(props.services, SERVICE_CONCURRENCY, async (name) => {
      try {
        await pushEnvVars(s, props.serviceIds[name], {}, props.ownedKeys?.[name] ?? []);
      } catch (e) {
        if ((e as { status?: number }).status === 404) return; // service already gone
        throw new Error(`service "${name}": ${redact((e as Error).message, secrets)}`);
      }
    });
    const errors = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    if (errors.length) {
      throw new Error(
        `env-var set "${props.setName}": could not remove its keys from ${errors.length} service(s):\n` +
          errors.map((r) => `  - ${(r.reason as Error).message}`).join("\n"),
      );
    }
  },
};

export interface EnvVarSetArgs {
  /** The set's name from the config (`fleet.envSets[].name`, or the service name for a service's own set). */
  setName: pulumi.Input<string>;
  /** Names of the services that receive the set. */
  services: pulumi.Input<pulumi.Input<string>[]>;
  /** Render id of every listed service, by name. */
  serviceIds: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** The fleet's environment (dev, prod, ...). */
  environment: pulumi.Input<string>;
  /** Every declared key name. */
  keys: pulumi.Input<string[]>;
  /** Declared keys whose value is plain config (not a secret reference). */
  plainKeys: pulumi.Input<string[]>;
  /** Declared keys per service. */
  serviceKeys: pulumi.Input<Record<string, string[]>>;
  /** Per service, the declared keys and values; always stored as a secret. */
  values: pulumi.Input<Record<string, pulumi.Input<Record<string, pulumi.Input<string>>>>>;
  /** Render API base URL, e.g. `https://api.render.com/v1`. */
  baseUrl: pulumi.Input<string>;
  /** Config key holding the API key (`fleetgate:<key>`); RENDER_API_KEY when unset. */
  apiKeyConfig?: pulumi.Input<string>;
  /** Client-side rate limit on API calls (requests per second; default 10). */
  requestsPerSecond?: pulumi.Input<number>;
}

/** A complete merged env-var set on a list of Render services. */
export class EnvVarSet extends pulumi.dynamic.Resource {
  public readonly ownedKeys!: pulumi.Output<Record<string, string[]>>;
  public readonly foreignKeys!: pulumi.Output<Record<string, string[]>>;
  public readonly versions!: pulumi.Output<Record<string, string>>;
  public readonly failedServices!: pulumi.Output<string[]>;

  constructor(name: string, args: EnvVarSetArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      envVarSetProvider,
      name,
      {
        ...args,
        values: pulumi.secret(args.values),
        ownedKeys: undefined,
        foreignKeys: undefined,
        versions: undefined,
        failedServices: undefined,
      },
      opts,
      "render",
      "EnvVarSet",
    );
  }
}
