/**
 * The deploy gates of one `pulumi up` (docs/design.md, "The flow of one pulumi up"; triggers in
 * docs/gates.md):
 * - pre-deploy: IntegritySnapshot, which the platform waits for (`PlatformArgs.before`);
 * - per wave (docs/waves.md): before each wave after the first, a SmokeSuite over the checks of
 *   the previous wave's services, which the platform makes that wave's deploys wait for;
 * - post-deploy: SmokeSuite over the checks no wave suite ran (the last wave's services and the
 *   external targets), then IntegrityVerify.
 * All read their definitions from `gates` in the stack config; no check runs twice.
 *
 * Triggers: the suites and the verify key on the `deployment` of the services they cover (a wave
 * suite: its targets; the final suite and the verify: every service), which changes exactly when
 * a deploy happened, plus their own definitions. The snapshot keys on the declared deploy inputs
 * (`declaredDeployKey`), since it runs before the deploys it protects.
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { CheckConfig } from "../config/checks";
import { StackConfig } from "../config/schema";
import { wavePlan } from "../config/waves";
import type { CheckResult } from "../lib/checks/types";
import { IntegritySnapshot, IntegrityVerify } from "../providers/checks/integrity";
import { RollbackFn } from "../providers/checks/rollback";
import { CheckSecrets, SmokeSuite, SuiteCheck } from "../providers/checks/smokeSuite";
import { localStateDir } from "./local/stateDir";
import { DeployedService, PlatformResult, RollbackTarget, WaveHook } from "./platform";
import { checkNeedsUrl, checkSourceFields, integritySqlChecks } from "./seedGates";
import { SecretResolver } from "./secrets";
import type { LedgerContext } from "../lib/ledger/context";

export interface PreDeployGatesArgs {
  config: StackConfig;
  secrets: SecretResolver;
  /** The fleet revision: the snapshot is retaken when it changes. */
  revision: string;
  /** The image each service deploys when not the config's (as `PlatformArgs.images`). */
  images?: Record<string, pulumi.Input<string>>;
  /** The evidence ledger a failing gate records itself in (components/deploy.ts); none when off. */
  evidence?: pulumi.Output<LedgerContext>;
}

export interface PreDeployGates {
  /** Resources the platform must wait for before changing any service. */
  before: pulumi.Resource[];
  snapshot?: IntegritySnapshot;
}

export interface PostDeployGatesArgs extends PreDeployGatesArgs {
  platform: PlatformResult;
  /** The pre-deploy gates this verify compares with. */
  pre: PreDeployGates;
  /** Overrides the platform's rollback (tests); defaults to providers/<platform>/rollback.ts. */
  rollback?: RollbackFn;
  /** The per-wave gates the platform ran (their checks are left out of the final suite). */
  waves?: WaveGates;
}

export interface PostDeployGates {
  /** The final suite: checks of the last wave's services and of external targets. */
  smoke?: SmokeSuite;
  /** The per-wave suites, in wave order (docs/waves.md); set when there are any. */
  waveSmoke?: SmokeSuite[];
  /** Results of every smoke check (wave suites', then the final suite's); set with `gates.smoke`. */
  smokeResults?: pulumi.Output<CheckResult[]>;
  verify?: IntegrityVerify;
}

export interface WaveGatesArgs extends PreDeployGatesArgs {
  /** Overrides the platform's rollback (tests); defaults to providers/<platform>/rollback.ts. */
  rollback?: RollbackFn;
}

/** The per-wave smoke suites: the hook the platform calls, and what it built. */
export interface WaveGates {
  /** Pass as `PlatformArgs.beforeWave`. */
  beforeWave: WaveHook;
  /** Suites built so far, in wave order. */
  suites: SmokeSuite[];
  /** Names of the checks a wave suite runs. */
  ran: Set<string>;
}

/** The integrity connection: a secret reference, or a DuckDB path made absolute. */
function integrityConnection(cfg: StackConfig, secrets: SecretResolver): pulumi.Output<string> {
  const integrity = cfg.gates.integrity!;
  if (integrity.engine === "duckdb" && typeof integrity.connection === "string") {
    return pulumi.output(path.resolve(integrity.connection));
  }
  return secrets.value(integrity.connection);
}

/**
 * A secret hash of everything declared that shapes the running services: per service the image
 * deployed (resolved when given), the run settings and every env value of every layer (secret
 * values included, which the fleet revision leaves out). It changes whenever a declared change
 * will redeploy something, so the pre-deploy snapshot is retaken before it. Marked secret: a hash
 * of a short secret value could be brute-forced.
 */
export function declaredDeployKey(
  cfg: StackConfig,
  secrets: SecretResolver,
  images: Record<string, pulumi.Input<string>> = {},
): pulumi.Output<string> {
  const envOf = (vars: Record<string, Parameters<SecretResolver["value"]>[0]>) =>
    pulumi.all(Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, secrets.value(v)])));
  const services = [...cfg.fleet.services]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((s) => {
      const sets = cfg.fleet.envSets.filter((e) => e.services.includes(s.name));
      return pulumi.all({
        name: s.name,
        image: images[s.name] ?? s.image,
        run: {
          dockerCommand: s.dockerCommand ?? null,
          preDeployCommand: s.preDeployCommand ?? null,
          plan: s.plan ?? null,
          local: s.local ?? null,
          healthCheckPath: s.healthCheckPath ?? null,
        },
        env: pulumi.all(sets.map((e) => envOf(e.vars))),
        own: envOf(s.env),
      });
    });
  const canon = (v: unknown): string =>
    JSON.stringify(v, (_k, val) =>
      val && typeof val === "object" && !Array.isArray(val)
        ? Object.fromEntries(Object.entries(val).sort(([a], [b]) => a.localeCompare(b)))
        : val,
    );
  return pulumi.secret(
    pulumi.all(services).apply((all) => createHash("sha256").update(canon(all)).digest("hex").slice(0, 32)),
  );
}

/** `<service>: <deployment>` of the given services (all when no names are given). */
export function deploymentsOf(
  services: Record<string, DeployedService>,
  names?: string[],
): pulumi.Output<Record<string, string>> {
  const picked = Object.values(services).filter((s) => !names || names.includes(s.name));
  return pulumi.all(Object.fromEntries(picked.map((s) => [s.name, s.deployment])));
}

export function buildPreDeployGates(parent: pulumi.Resource, args: PreDeployGatesArgs): PreDeployGates {
  const integrity = args.config.gates.integrity;
  if (!integrity) return { before: [] };
  const snapshot = new IntegritySnapshot(
    "integrity-snapshot",
    {
      engine: integrity.engine,
      connection: integrityConnection(args.config, args.secrets),
      criticalTables: integrity.criticalTables,
      revision: args.revision,
      deployKey: declaredDeployKey(args.config, args.secrets, args.images),
    },
    { parent },
  );
  return { before: [snapshot], snapshot };
}

/**
 * The platform's rollback function (`providers/<kind>/rollback.ts`, see the conventions). A
 * platform without one yet gets a function that says so, which the suite reports as
 * "not rolled back".
 */
export function platformRollback(kind: StackConfig["platform"]["kind"]): RollbackFn {
  try {
    return (require(`../providers/${kind}/rollback`) as { rollback: RollbackFn }).rollback;
  } catch (err) {
    if ((err as { code?: string }).code !== "MODULE_NOT_FOUND") throw err;
    const missing = `providers/${kind}/rollback.ts`;
    return async () => {
      throw new Error(`the ${kind} platform has no rollback yet (${missing} is missing)`);
    };
  }
}

/** Splits a check's definition into plain fields and secret values. */
function splitCheck(
  check: CheckConfig,
  url: pulumi.Output<string>,
  source: pulumi.Output<SourceFields>,
  timeoutMs: number,
  secrets: SecretResolver,
  platformKey: pulumi.Output<string> | undefined,
): { plain: pulumi.Output<SuiteCheck>; secret: pulumi.Output<CheckSecrets> } {
  const {
    headers,
    timeoutMs: _timeout,
    validKey: _validKey,
    apiKey: _apiKey,
    signingSecret: _signingSecret,
    ...rest
  } = check as CheckConfig & { validKey?: unknown; apiKey?: unknown; signingSecret?: unknown };
  // A log or liveness check reads the platform, not a URL: it gets its source instead.
  const needsUrl = checkNeedsUrl(check);
  const plain = pulumi
    .all([url, source])
    .apply(
      ([u, fields]) =>
        ({ ...rest, ...fields, url: needsUrl ? `${u}${check.path}` : "", timeoutMs }) as SuiteCheck,
    );
  const secret: Record<string, pulumi.Input<unknown>> = {};
  if (headers) {
    secret.headers = pulumi.all(
      Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), secrets.value(v)])),
    );
  }
  if ("validKey" in check) secret.validKey = secrets.resolve(check.validKey);
  if ("signingSecret" in check) secret.signingSecret = secrets.resolve(check.signingSecret);
  if ("apiKey" in check && check.apiKey) secret.apiKey = secrets.resolve(check.apiKey);
  // Render's logs and deploys APIs need the platform's API key (never in the plain part).
  if (!needsUrl && platformKey) secret.apiKey = platformKey;
  return { plain, secret: pulumi.all(secret) as pulumi.Output<CheckSecrets> };
}

type SourceFields = ReturnType<typeof checkSourceFields>;

/**
 * The Render API key the log and liveness checks read the platform with: `platform.apiKey`, else
 * RENDER_API_KEY in the environment of `pulumi up` (as the Render platform itself); undefined on
 * the local platform or when neither is set (the check then fails and says so).
 */
function platformApiKey(cfg: StackConfig, secrets: SecretResolver): pulumi.Output<string> | undefined {
  if (cfg.platform.kind !== "render") return undefined;
  if (cfg.platform.apiKey) return pulumi.secret(secrets.resolve(cfg.platform.apiKey));
  const env = process.env.RENDER_API_KEY;
  return env ? pulumi.secret(env) : undefined;
}

/** Where a log or liveness check reads its target (nothing for the checks that call a URL). */
function checkSource(
  cfg: StackConfig,
  services: Record<string, DeployedService>,
  check: CheckConfig,
  index: number,
): pulumi.Output<SourceFields> {
  if (checkNeedsUrl(check)) return pulumi.output({});
  const service = services[check.target];
  if (!service) {
    throw new Error(
      `gates.smoke.checks[${index}].target: a ${check.kind} check reads a deployed service's ${check.kind === "log" ? "logs" : "process"}, and "${check.target}" is not a service of this fleet`,
    );
  }
  const projectDir = process.cwd();
  const localDir =
    cfg.platform.kind === "local" ? localStateDir(cfg, projectDir, pulumi.getStack()) : undefined;
  return service.id.apply((serviceId) =>
    checkSourceFields(check, { config: cfg, serviceId, localStateDir: localDir, projectDir }),
  );
}

/** Base URL (no trailing slash) of a check's target: a deployed service or an external target. */
function targetUrl(
  cfg: StackConfig,
  services: Record<string, DeployedService>,
  check: CheckConfig,
  index: number,
): pulumi.Output<string> {
  // Log and liveness checks read the platform: a worker is a fine target and no URL is needed.
  if (!checkNeedsUrl(check)) return pulumi.output("");
  const external = cfg.fleet.externalTargets.find((t) => t.name === check.target);
  if (external) return pulumi.output(external.url.replace(/\/+$/, ""));
  const declared = cfg.fleet.services.find((s) => s.name === check.target);
  if (declared && (declared.type === "worker" || declared.type === "cron")) {
    throw new Error(
      `gates.smoke.checks[${index}].target: service "${check.target}" is a ${declared.type} and serves no HTTP; check a web or private service, or use a log or liveness check`,
    );
  }
  const service = services[check.target];
  if (!service) {
    throw new Error(
      `gates.smoke.checks[${index}].target: "${check.target}" is not a deployed service or external target`,
    );
  }
  return service.url.apply((u) => {
    if (!u) {
      throw new Error(
        `gates.smoke.checks[${index}].target: service "${check.target}" has no URL on this platform; check a service that serves HTTP`,
      );
    }
    return u.replace(/\/+$/, "");
  });
}

function readCaFile(file: string): string {
  try {
    return fs.readFileSync(path.resolve(file), "utf8");
  } catch (err) {
    throw new Error(
      `gates.smoke.caFile: cannot read ${file} (${(err as { code?: string }).code ?? err}); give a PEM file path relative to the project`,
    );
  }
}

/** One SmokeSuite over the checks with the given indexes (into `gates.smoke.checks`). */
function buildSuite(
  parent: pulumi.Resource,
  name: string,
  args: WaveGatesArgs,
  indexes: number[],
  services: Record<string, DeployedService>,
  dependsOn: pulumi.Resource[],
  /** The services whose deploys re-run the suite (all of `services` when undefined). */
  covers?: string[],
): SmokeSuite {
  const cfg = args.config;
  const smokeCfg = cfg.gates.smoke!;
  const checks = indexes.map((i) => smokeCfg.checks[i]);
  const platformKey = platformApiKey(cfg, args.secrets);
  const parts = indexes.map((i) =>
    splitCheck(
      smokeCfg.checks[i],
      targetUrl(cfg, services, smokeCfg.checks[i], i),
      checkSource(cfg, services, smokeCfg.checks[i], i),
      smokeCfg.checks[i].timeoutMs ?? smokeCfg.timeoutMs,
      args.secrets,
      platformKey,
    ),
  );
  const secretBag = pulumi
    .all(parts.map((p, i) => pulumi.all([checks[i].name, p.secret])))
    .apply((pairs) => Object.fromEntries(pairs.filter(([, s]) => Object.keys(s).length > 0)));
  const rollbackTargets: Record<string, pulumi.Output<RollbackTarget>> = Object.fromEntries(
    Object.values(services).map((s) => [s.name, s.rollback]),
  );
  return new SmokeSuite(
    name,
    {
      targets: [...new Set(checks.map((c) => c.target))],
      revision: args.revision,
      deployments: deploymentsOf(services, covers),
      checks: parts.map((p) => p.plain),
      secrets: pulumi.secret(secretBag),
      retries: smokeCfg.retries,
      ca: smokeCfg.caFile ? readCaFile(smokeCfg.caFile) : undefined,
      rollbackOnFailure: smokeCfg.rollbackOnFailure,
      rollbackTargets,
      evidence: args.evidence,
    },
    args.rollback ?? platformRollback(cfg.platform.kind),
    { parent, dependsOn },
  );
}

/**
 * The per-wave gates (docs/waves.md): before each wave after the first, a suite `smoke-wave-<n>`
 * runs the checks whose target is a service of the previous wave, once that wave is ready. The
 * platform makes every deploy of wave n wait for it, so a failing check stops the rollout there.
 */
export function buildWaveGates(parent: pulumi.Resource, args: WaveGatesArgs): WaveGates {
  const checks = args.config.gates.smoke?.checks ?? [];
  const plan = wavePlan(args.config.fleet);
  const out: WaveGates = { suites: [], ran: new Set(), beforeWave: () => [] };
  out.beforeWave = (wave, deployedSoFar) => {
    if (wave.index === 0 || wave.index >= plan.length) return [];
    const previous = new Set(plan[wave.index - 1].services);
    const indexes = checks.map((c, i) => (previous.has(c.target) ? i : -1)).filter((i) => i >= 0);
    if (indexes.length === 0) return [];
    const ready = [...previous].flatMap((n) => deployedSoFar[n]?.ready ?? []);
    // A wave suite covers the services it checks (the previous wave's targets).
    const covers = [...new Set(indexes.map((i) => checks[i].target))];
    const suite = buildSuite(
      parent,
      `smoke-wave-${wave.wave}`,
      args,
      indexes,
      deployedSoFar,
      [...ready, ...out.suites],
      covers,
    );
    out.suites.push(suite);
    for (const i of indexes) out.ran.add(checks[i].name);
    return [suite];
  };
  return out;
}

export function buildPostDeployGates(parent: pulumi.Resource, args: PostDeployGatesArgs): PostDeployGates {
  const cfg = args.config;
  const smokeCfg = cfg.gates.smoke;
  const ready = Object.values(args.platform.services).flatMap((s) => s.ready);
  const waveSmoke = args.waves?.suites ?? [];
  const out: PostDeployGates = waveSmoke.length ? { waveSmoke } : {};

  // The final suite runs what no wave suite ran; with a single wave that is every check. It is
  // the fleet's end-to-end gate: a deploy of any service re-runs it.
  const remaining = (smokeCfg?.checks ?? [])
    .map((c, i) => (args.waves?.ran.has(c.name) ? -1 : i))
    .filter((i) => i >= 0);
  if (smokeCfg && (remaining.length > 0 || waveSmoke.length === 0)) {
    out.smoke = buildSuite(parent, "smoke", args, remaining, args.platform.services, [
      ...ready,
      ...waveSmoke,
    ]);
  }
  const suites = [...waveSmoke, ...(out.smoke ? [out.smoke] : [])];
  if (smokeCfg) {
    out.smokeResults = pulumi.all(suites.map((s) => s.results)).apply((r) => r.flatMap((x) => x ?? []));
  }

  const integrity = cfg.gates.integrity;
  if (integrity && args.pre.snapshot) {
    out.verify = new IntegrityVerify(
      "integrity-verify",
      {
        engine: integrity.engine,
        connection: integrityConnection(cfg, args.secrets),
        criticalTables: integrity.criticalTables,
        revision: args.revision,
        deployments: deploymentsOf(args.platform.services),
        before: args.pre.snapshot.snapshot,
        allowDrops: integrity.allowDrops,
        expect: integrity.expect ?? {},
        sql: integritySqlChecks(cfg),
        evidence: args.evidence,
      },
      { parent, dependsOn: [...ready, ...suites] },
    );
  }
  return out;
}
