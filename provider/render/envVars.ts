/**
 * `fleetgate:render:EnvVars`: the complete env-var set of ONE Render service (docs/design.md, "Env-var
 * sets"; HELPERS item 5). Its declared map is the union of every layer that applies to the
 * service (fleet set vars, then the service's overrides), so renaming a set or moving a service
 * between sets only changes this map: no key declared anywhere is ever removed, and no two
 * resources run a read-merge-PUT cycle on one service at once.
 *
 * Push: read every page → `merged = (current − owned-but-no-longer-declared) + declared` → PUT
 * the whole list → read back and verify. A failed read writes nothing. Keys we never owned are
 * kept and reported as `foreignKeys`. Values are secrets end to end: the diff names keys only
 * (`vars.<KEY>`), errors are redacted, and `version` is an HMAC keyed by a secret kept in state,
 * so it changes with any value without exposing one (the Deploy re-runs on it).
 */
import { createHmac, randomBytes } from "crypto";
import { pushEnvVars, readEnvVars, redact } from "./envPush";
import type { Props, ResourceHandler } from "../handler";
import { isGone, RenderClientSettings } from "./client";
import {
  canonical,
  isUnknown,
  normalizeBaseUrl,
  PropertyDiff,
  ResourceDiff,
  reveal,
  secret,
  UNKNOWN,
} from "./wire";

export const ENV_VARS_TYPE = "fleetgate:render:EnvVars";

export interface EnvVarsInputs {
  /** Render id of the service (`srv-…`/`crn-…`). */
  serviceId: string;
  /** Service name, for messages. */
  serviceName: string;
  /** Every declared key and its value (each value a secret). */
  vars: Record<string, string>;
  /** Per key, the layer that declared it (`set:<name>` or `service`); plain, for reviewers. */
  sources?: Record<string, string>;
  /** The fleet's environment (dev, prod, …), for policies. */
  environment?: string;
  /** Declared keys whose value is plain config, not a secret reference (for policies). */
  plainKeys?: string[];
  baseUrl: string;
  /** Config key (in `fleetgate:`) holding the API key; RENDER_API_KEY otherwise. */
  apiKeyConfig?: string;
  requestsPerSecond?: number;
}

export interface EnvVarsOutputs extends EnvVarsInputs {
  /** Keys this resource wrote and owns (removed from the service once no longer declared). */
  ownedKeys: string[];
  /** Keys on the service this resource never owned (kept as they are). */
  foreignKeys: string[];
  /** HMAC of the declared keys and values; changes with any value, exposes none. */
  version: string;
  /** Secret: the HMAC key (random per resource). */
  hashKey: string;
}

/** The part of the host's HandlerContext these handlers use (client settings; key from config). */
export interface RenderContext {
  render(inputs: {
    baseUrl: string;
    apiKeyConfig?: string;
    requestsPerSecond?: number;
  }): RenderClientSettings;
}

/** The declared map's version: HMAC-SHA256 over the sorted key/value pairs. */
export function envVersion(hashKey: string, vars: Record<string, string>): string {
  const h = createHmac("sha256", hashKey);
  for (const k of Object.keys(vars).sort()) h.update(`${k.length}:${k}=${vars[k].length}:${vars[k]};`);
  return h.digest("hex").slice(0, 32);
}

/** Inputs with secrets revealed (the engine may send them wrapped). */
function plainInputs(raw: unknown): EnvVarsInputs {
  return reveal<EnvVarsInputs>(raw);
}

/** Outputs as stored: every value and the hash key secret, everything else plain. */
function stored(o: EnvVarsOutputs): Record<string, unknown> {
  const out: Record<string, unknown> = {
    ...o,
    vars: Object.fromEntries(Object.entries(o.vars).map(([k, v]) => [k, secret(v)])),
    hashKey: o.hashKey === undefined ? undefined : secret(o.hashKey),
  };
  for (const k of Object.keys(out)) if (out[k] === undefined) delete out[k];
  return out;
}

function who(i: EnvVarsInputs): string {
  return `env vars of service "${i.serviceName}" (${i.serviceId})`;
}

/** Field errors that name the field and the fix. */
export async function checkEnvVars(
  _olds: unknown,
  raw: unknown,
): Promise<{ inputs: Props; failures: { property: string; reason: string }[] }> {
  const i = (raw ?? {}) as Record<string, unknown>;
  const failures: { property: string; reason: string }[] = [];
  const need = (k: string) => {
    if (typeof i[k] !== "string" || i[k] === "")
      failures.push({ property: k, reason: `${k} must be a non-empty string` });
  };
  need("serviceName");
  need("baseUrl");
  if (i.serviceId !== UNKNOWN) need("serviceId");
  const vars = i.vars;
  if (isUnknown(vars) && !(vars && typeof vars === "object")) return { inputs: raw as Props, failures };
  if (!vars || typeof vars !== "object" || Array.isArray(vars)) {
    failures.push({ property: "vars", reason: "vars must be a map of env var names to string values" });
    return { inputs: raw as Props, failures };
  }
  for (const [k, v] of Object.entries(reveal<Record<string, unknown>>(vars))) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) {
      failures.push({
        property: `vars.${k}`,
        reason: `"${k}" is not a valid env var name (letters, digits and _, not starting with a digit)`,
      });
    } else if (typeof v !== "string" && v !== undefined) {
      failures.push({ property: `vars.${k}`, reason: `the value of ${k} must be a string` });
    }
  }
  return { inputs: raw as Props, failures };
}

/**
 * Which declared keys are added, changed or removed (by value, never printed), plus any key whose
 * live value on Render differs from the declaration (drift; `inputDiff: false`).
 */
export async function diffEnvVars(
  _id: string,
  rawOlds: unknown,
  rawNews: unknown,
  ctx: RenderContext,
): Promise<ResourceDiff> {
  const olds = reveal<EnvVarsOutputs>(rawOlds);
  const news = reveal<EnvVarsInputs>(rawNews);
  if (isUnknown(news.serviceId) || olds.serviceId !== news.serviceId) {
    return {
      changes: true,
      replaces: ["serviceId"],
      detailedDiff: { serviceId: { kind: "updateReplace", inputDiff: true } },
    };
  }
  const detailed: Record<string, PropertyDiff> = {};
  const oldVars = olds.vars ?? {};
  const newVars = news.vars ?? {};
  if (isUnknown(newVars) && typeof newVars !== "object") {
    return { changes: true, detailedDiff: { vars: { kind: "update", inputDiff: true } } };
  }
  for (const k of Object.keys(newVars)) {
    if (!Object.hasOwn(oldVars, k)) detailed[`vars.${k}`] = { kind: "add", inputDiff: true };
    else if (isUnknown(newVars[k]) || oldVars[k] !== newVars[k])
      detailed[`vars.${k}`] = { kind: "update", inputDiff: true };
  }
  for (const k of Object.keys(oldVars)) {
    if (!Object.hasOwn(newVars, k)) detailed[`vars.${k}`] = { kind: "delete", inputDiff: true };
  }
  // Owned keys of a failed push that are no longer declared still need removing.
  for (const k of olds.ownedKeys ?? []) {
    if (!Object.hasOwn(newVars, k) && !detailed[`vars.${k}`])
      detailed[`vars.${k}`] = { kind: "delete", inputDiff: false };
  }
  if (Object.keys(detailed).length === 0) {
    // Nothing declared changed: converge on what Render holds (a key removed or changed by hand,
    // or by a set deleted in the same update) without needing `--refresh`.
    let live: Record<string, string>;
    try {
      live = await readEnvVars(ctx.render(news), news.serviceId);
    } catch (e) {
      if (await isGone(ctx.render(news), e, news.serviceId)) {
        throw new Error(
          `service "${news.serviceName}" (${news.serviceId}) no longer exists on Render (deleted outside Pulumi); run \`pulumi refresh\`, then \`pulumi up\` creates it again`,
        );
      }
      throw new Error(`${who(news)}: ${redact((e as Error).message, Object.values(newVars))}`);
    }
    for (const [k, v] of Object.entries(newVars)) {
      if (!Object.hasOwn(live, k)) detailed[`vars.${k}`] = { kind: "add", inputDiff: false };
      else if (live[k] !== v) detailed[`vars.${k}`] = { kind: "update", inputDiff: false };
    }
    for (const k of olds.ownedKeys ?? []) {
      if (!Object.hasOwn(newVars, k) && Object.hasOwn(live, k))
        detailed[`vars.${k}`] = { kind: "delete", inputDiff: false };
    }
  }
  // Settings kept in state that change nothing on Render; a cosmetic baseUrl change is no change.
  const same = {
    baseUrl: normalizeBaseUrl(olds.baseUrl ?? "") === normalizeBaseUrl(news.baseUrl ?? ""),
    apiKeyConfig: olds.apiKeyConfig === news.apiKeyConfig,
    requestsPerSecond: olds.requestsPerSecond === news.requestsPerSecond,
    serviceName: olds.serviceName === news.serviceName,
    // Which set declared a key (a set renamed): recorded, never pushed or deployed.
    sources: canonical(olds.sources ?? {}) === canonical(news.sources ?? {}),
    environment: olds.environment === news.environment,
    plainKeys: canonical(olds.plainKeys ?? []) === canonical(news.plainKeys ?? []),
  };
  for (const [f, unchanged] of Object.entries(same)) {
    if (!unchanged) detailed[f] = { kind: "update", inputDiff: true };
  }
  return { changes: Object.keys(detailed).length > 0, detailedDiff: detailed };
}

/** Pushes the declared map; returns the outputs. Throws (redacted) when the push fails. */
async function push(
  ctx: RenderContext,
  news: EnvVarsInputs,
  previouslyOwned: string[],
  hashKey: string,
): Promise<EnvVarsOutputs> {
  const vars = news.vars ?? {};
  let result;
  try {
    result = await pushEnvVars(ctx.render(news), news.serviceId, vars, previouslyOwned);
  } catch (e) {
    throw new Error(
      `${who(news)}: ${redact((e as Error).message, Object.values(vars))}; run \`pulumi up\` again to converge`,
    );
  }
  return {
    ...news,
    ownedKeys: Object.keys(vars).sort(),
    foreignKeys: result.foreignKeys,
    version: envVersion(hashKey, vars),
    hashKey,
  };
}

export async function createEnvVars(
  raw: unknown,
  ctx: RenderContext,
): Promise<{ id: string; outs: Record<string, unknown> }> {
  const news = plainInputs(raw);
  // Adoption: nothing is owned yet, so every key already on the service is kept as foreign
  // unless declared here.
  const outs = await push(ctx, news, [], randomBytes(32).toString("hex"));
  return { id: `${news.serviceId}/env-vars`, outs: stored(outs) };
}

export async function updateEnvVars(
  _id: string,
  rawOlds: unknown,
  rawNews: unknown,
  ctx: RenderContext,
): Promise<{ outs: Record<string, unknown> }> {
  const olds = reveal<EnvVarsOutputs>(rawOlds);
  const news = plainInputs(rawNews);
  const owned = olds.serviceId === news.serviceId ? (olds.ownedKeys ?? []) : [];
  const outs = await push(ctx, news, owned, olds.hashKey || randomBytes(32).toString("hex"));
  return { outs: stored(outs) };
}

/**
 * Refresh: owned keys take their live values (a value changed by hand shows as drift and the next
 * `up` restores it), foreign keys are re-listed. A service that Render says is gone ends the
 * resource; any other failure is an error (never a silent drop).
 */
export async function readEnvVarsResource(
  id: string,
  rawProps: unknown,
  ctx: RenderContext,
): Promise<{ id: string; props: Record<string, unknown>; inputs?: Record<string, unknown> } | undefined> {
  const props = reveal<EnvVarsOutputs>(rawProps ?? {});
  if (!props.serviceId) {
    throw new Error(
      `${ENV_VARS_TYPE} "${id}": import is not supported; declare the service's env vars in the config and run \`pulumi up\` (keys already on the service are kept as foreignKeys)`,
    );
  }
  const s = ctx.render(props);
  const secrets = Object.values(props.vars ?? {});
  let live: Record<string, string>;
  try {
    live = await readEnvVars(s, props.serviceId);
  } catch (e) {
    if (await isGone(s, e, props.serviceId)) return undefined;
    throw new Error(`${who(props)}: ${redact((e as Error).message, secrets)}`);
  }
  const owned = new Set(props.ownedKeys ?? []);
  const vars = Object.fromEntries(Object.entries(live).filter(([k]) => owned.has(k)));
  const foreignKeys = Object.keys(live)
    .filter((k) => !owned.has(k))
    .sort();
  const refreshed: EnvVarsOutputs = { ...props, vars, foreignKeys };
  const { ownedKeys: _o, foreignKeys: _f, version: _v, hashKey: _h, ...inputs } = refreshed;
  return { id, props: stored(refreshed), inputs: stored({ ...(inputs as EnvVarsOutputs) }) };
}

/** Removes the keys this resource owns; foreign keys stay. A service already gone is fine. */
export async function deleteEnvVars(_id: string, rawProps: unknown, ctx: RenderContext): Promise<void> {
  const props = reveal<EnvVarsOutputs>(rawProps);
  const s = ctx.render(props);
  try {
    await pushEnvVars(s, props.serviceId, {}, props.ownedKeys ?? []);
  } catch (e) {
    if (await isGone(s, e, props.serviceId)) return;
    throw new Error(
      `${who(props)}: could not remove its keys: ${redact((e as Error).message, Object.values(props.vars ?? {}))}`,
    );
  }
}

/** The resource as the plugin host dispatches it. */
export const envVarsResource: ResourceHandler = {
  type: ENV_VARS_TYPE,
  schema: {
    description:
      "The complete env-var set of one Render service: the union of every layer that applies to it. Keys set elsewhere are kept (foreignKeys); values are secrets.",
    inputProperties: {
      serviceId: { type: "string", description: "Render id of the service." },
      serviceName: { type: "string", description: "Service name, for messages." },
      vars: {
        type: "object",
        additionalProperties: { type: "string", secret: true },
        description: "Every declared key and its (secret) value.",
      },
      sources: {
        type: "object",
        additionalProperties: { type: "string" },
        description: "Per key, the layer that declared it (`set:<name>` or `service`).",
      },
      environment: { type: "string", description: "The fleet's environment (dev, prod, …)." },
      plainKeys: {
        type: "array",
        items: { type: "string" },
        description: "Declared keys whose value is plain config, not a secret reference.",
      },
      baseUrl: { type: "string", description: "Render API base URL, e.g. https://api.render.com/v1." },
      apiKeyConfig: { type: "string", description: "Config key (in `fleetgate:`) holding the API key." },
      requestsPerSecond: { type: "number", description: "Client-side rate limit." },
    },
    requiredInputs: ["serviceId", "serviceName", "vars", "baseUrl"],
    properties: {
      ownedKeys: { type: "array", items: { type: "string" }, description: "Keys this resource owns." },
      foreignKeys: {
        type: "array",
        items: { type: "string" },
        description: "Keys on the service it does not own.",
      },
      version: { type: "string", description: "Changes with any declared value; exposes none." },
    },
    required: ["ownedKeys", "foreignKeys", "version"],
  },
  check: checkEnvVars,
  diff: diffEnvVars,
  create: createEnvVars,
  read: readEnvVarsResource,
  update: updateEnvVars,
  delete: deleteEnvVars,
};
