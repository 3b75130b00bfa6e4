/**
 * The stack config schema: one typed, validated source of truth for a fleetgate stack.
 *
 * Each top-level field is one Pulumi config key in the `fleetgate` namespace
 * (`fleetgate:fleet`, `fleetgate:platform`, ...). Field-level rules live in the section
 * modules; rules that span fields (names that must exist, duplicates, pinning against the
 * stack's floating tags, secrets that must be set) live in `crossFieldIssues` below.
 */
import { z } from "zod";
import { alarmsConfig, alarmsStackIssues } from "./alarms";
import { smokeConfig } from "./checks";
import { ciConfig } from "./ci";
import {
  backupConfig,
  deployConfigIssues,
  errorBudgetConfig,
  ledgerConfig,
  notificationsConfig,
  watchConfig,
} from "./deploy";
import { DEFAULT_FLOATING_TAGS, imageReference, unpinnedReason } from "./image";
import { diskConfig, diskIssues } from "./disks";
import { generatedCheckSecretIssues } from "./generated-secrets";
import { integrityConfig } from "./integrity";
import { cronSchedule } from "./schedule";
import { nameLooksSecret, plainSecretFix, urlHasCredentials } from "./secrets";
import { releaseConfig, releaseImagesConfig, releaseIssues } from "./release";
import { waveIssues } from "./waves";
import {
  durationSeconds,
  envVarName,
  httpPath,
  httpUrl,
  isSecretRef,
  plainOrSecret,
  resourceName,
  secretRef,
} from "./primitives";

// Defined beside the pinning rule (shared with the policy pack); re-exported for existing importers.
export { DEFAULT_FLOATING_TAGS };

const envLayer = z.record(envVarName, plainOrSecret);

export const localRunConfig = z.strictObject({
  /** argv of the process (no shell). Paths are relative to the project directory. */
  command: z.array(z.string().min(1)).min(1, "must have at least the program to run"),
  /** Loopback port the service listens on (passed to it as PORT). */
  port: z
    .number()
    .int()
    .min(1024, "must be a port between 1024 and 65535")
    .max(65535, "must be a port between 1024 and 65535"),
  /** How long a (re)start may take to become healthy. */
  startTimeoutSeconds: durationSeconds.default(20),
});

export const serviceConfig = z.strictObject({
  name: resourceName,
  /** Render service type; `web` is public, `private` is reachable only inside the fleet. */
  type: z.enum(["web", "private", "worker", "cron"], { error: "must be one of web, private, worker, cron" }),
  /** Pinned image: `repo@sha256:<64 hex>` or an exact version tag (`repo:1.4.2`). */
  image: imageReference,
  /** Health check path; required for web services. */
  healthCheckPath: httpPath.optional(),
  plan: z.string().min(1).optional(),
  region: z.string().min(1).optional(),
  instances: z.number().int().min(0, "must be 0 or more").max(100, "must be at most 100").default(1),
  /** Overrides the image's CMD. */
  dockerCommand: z.string().min(1).optional(),
  /** Runs before each deploy (e.g. migrations). */
  preDeployCommand: z.string().min(1).optional(),
  /** Cron expression; required for and only for `cron` services. */
  schedule: cronSchedule.optional(),
  /** Per-service env overrides: the last layer, wins over the fleet-wide sets. */
  env: envLayer.default({}),
  /** Public URL of the service for checks (Render: https://<name>.onrender.com unless set). */
  url: httpUrl.optional(),
  /** Deploy wave: lower waves deploy (and pass their checks) first. */
  wave: z
    .number()
    .int()
    .min(0, "must be 0 or more; waves count up from 0")
    .max(100, "must be at most 100; number waves 0, 1, 2, ... in deploy order (docs/waves.md)")
    .default(0),
  /** Services this one deploys after (each one wave later than the latest of them); see docs/waves.md. */
  after: z.array(resourceName).optional(),
  /** How to run the service on the local platform. Required when platform.kind is local. */
  local: localRunConfig.optional(),
  /** Persistent disk (docs/disks.md). */
  disk: diskConfig.optional(),
  /** The service keeps state in files: refused without a `disk` (docs/disks.md). */
  stateful: z.boolean().default(false),
  /** Render: take over an existing service of this name on the first `up` (docs/render.md, "Adoption"). */
  adopt: z.boolean().optional(),
  /** Render: name of a `platform.registryCredentials` entry that pulls this service's private image. */
  registryCredential: resourceName.optional(),
  /** Render: an existing registry credential (`rgc-…`) that pulls this service's private image. */
  registryCredentialId: z
    .string()
    .regex(/^rgc-[a-z0-9]+$/, "must be a Render registry credential id such as rgc-abc123")
    .optional(),
  /** Names this service had before (a rename keeps the same Render service; docs/render.md). */
  previousNames: z.array(resourceName).optional(),
});
export type ServiceConfig = z.infer<typeof serviceConfig>;

export const envSetConfig = z.strictObject({
  name: resourceName,
  /** Services that receive the complete merged set. */
  services: z.array(resourceName).min(1, "must list at least one service"),
  /** Fleet-wide layer of this set. */
  vars: envLayer,
});
export type EnvSetConfig = z.infer<typeof envSetConfig>;

export const externalTargetConfig = z.strictObject({
  name: resourceName,
  url: httpUrl,
  /** Where it lives (fly.io, supabase, ...), for the reader. */
  platform: z.string().optional(),
  /** Health path for a Route 53 health check when `alarms.services` names this target. */
  healthCheckPath: httpPath.optional(),
});

export const rolloutConfig = z.strictObject({
  /** Services scaled to 0 before the first wave deploys and back to `instances` after their own deploy. */
  scaleDown: z.array(resourceName).default([]),
});

export const fleetConfig = z.strictObject({
  name: resourceName,
  environment: z.string().regex(/^[a-z][a-z0-9-]*$/, "must be a lower-case environment name such as dev"),
  /** Extra tags this stack treats as floating (never pinned). */
  floatingTags: z.array(z.string().min(1)).default(DEFAULT_FLOATING_TAGS),
  /** May be empty only for a fleet that deploys nothing and watches `externalTargets` (HotDash). */
  services: z.array(serviceConfig).default([]),
  envSets: z.array(envSetConfig).default([]),
  /** Endpoints fleetgate does not deploy but checks and monitors. */
  externalTargets: z.array(externalTargetConfig).default([]),
  /** Scale-down/up of named services around a rollout (docs/waves.md). */
  rollout: rolloutConfig.optional(),
});
export type FleetConfig = z.infer<typeof fleetConfig>;

export const platformConfig = z.discriminatedUnion("kind", [
  z.strictObject({
    kind: z.literal("render"),
    /** Render API base URL (tests point it at the local double). */
    baseUrl: httpUrl.default("https://api.render.com/v1"),
    /** Workspace (owner) id, `tea-...` or `usr-...`. */
    ownerId: z.string().regex(/^(tea|usr)-[a-z0-9]+$/, "must be a Render owner id such as tea-abc123"),
    /** Default region for new services. */
    region: z.string().default("oregon"),
    /** API key; otherwise RENDER_API_KEY in the environment of `pulumi up`. */
    apiKey: secretRef.optional(),
    /**
     * Optional cap on Render API calls (requests per second) on top of the pacing by Render's
     * announced quotas (`Ratelimit-*` headers, per bucket), which always applies.
     */
    requestsPerSecond: z
      .number()
      .positive("must be a positive number of requests per second")
      .max(1000, "must be at most 1000")
      .optional(),
    /** Registry credentials fleetgate manages, for private images (docs/render.md, "Private images"). */
    registryCredentials: z
      .array(
        z.strictObject({
          name: resourceName,
          registry: z.enum(["GITHUB", "GITLAB", "DOCKER", "GOOGLE_ARTIFACT", "AWS_ECR"], {
            error: "must be one of GITHUB, GITLAB, DOCKER, GOOGLE_ARTIFACT, AWS_ECR",
          }),
          username: z.string().min(1, "must be the registry user name"),
          /** The access token, as a secret reference. */
          authToken: secretRef,
        }),
      )
      .default([]),
    /** Take over existing services of the declared names on the first `up` (docs/render.md, "Adoption"). */
    adopt: z.boolean().default(false),
    /**
     * What `destroy`, removing a service from the config or a replace does to live services:
     * `delete`, `retain` (leave them on Render, forget them) or `protect` (refuse). Default:
     * `protect` when fleet.environment is `prod`, else `delete`.
     */
    deletionPolicy: z
      .enum(["delete", "retain", "protect"], { error: "must be one of delete, retain, protect" })
      .optional(),
  }),
  z.strictObject({
    kind: z.literal("local"),
    /** Where processes keep their logs, env files and pid records (default .fleetgate/local/<stack>). */
    stateDir: z.string().optional(),
  }),
]);
export type PlatformConfig = z.infer<typeof platformConfig>;

export const gatesConfig = z.strictObject({
  smoke: smokeConfig.optional(),
  integrity: integrityConfig.optional(),
  // Deploy features of issue 10 (config/deploy.ts, docs/deploy-features.md).
  backup: backupConfig.optional(),
  watch: watchConfig.optional(),
  ledger: ledgerConfig.optional(),
  notifications: notificationsConfig.optional(),
  errorBudget: errorBudgetConfig.optional(),
});
export type GatesConfig = z.infer<typeof gatesConfig>;

export const stackConfig = z.strictObject({
  platform: platformConfig,
  fleet: fleetConfig,
  gates: gatesConfig.default({}),
  ci: ciConfig.optional(),
  alarms: alarmsConfig.optional(),
  // The release loop (config/release.ts, docs/release.md).
  release: releaseConfig.optional(),
  releaseImages: releaseImagesConfig.optional(),
});
export type StackConfig = z.infer<typeof stackConfig>;

/** A problem found in the config: where it is and what to do. */
export interface ConfigIssue {
  path: string;
  message: string;
}

/** What the validator needs to know about the stack beyond the values: which secrets are set. */
export interface ConfigContext {
  /** Names (without namespace) of config keys that hold secret values. */
  secretKeys: ReadonlySet<string>;
}

function duplicates(values: readonly string[]): string[] {
  const seen = new Set<string>();
  const dups = new Set<string>();
  for (const v of values) (seen.has(v) ? dups : seen).add(v);
  return [...dups];
}

/** Visits every secret reference in the config with its path. */
function forEachSecretRef(
  value: unknown,
  path: (string | number)[],
  visit: (ref: object, path: (string | number)[]) => void,
) {
  if (isSecretRef(value)) {
    visit(value, path);
    return;
  }
  if (Array.isArray(value)) value.forEach((v, i) => forEachSecretRef(v, [...path, i], visit));
  else if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) forEachSecretRef(v, [...path, k], visit);
  }
}

/** The config keys of every `{ secret: <key> }` reference in a (raw or parsed) config. */
export function referencedSecretKeys(value: unknown): string[] {
  const keys = new Set<string>();
  forEachSecretRef(value, [], (ref) => {
    if ("secret" in ref) keys.add((ref as { secret: string }).secret);
  });
  return [...keys].sort();
}

/** Rules that span fields, with their paths formatted. */
export function crossFieldIssues(cfg: StackConfig, ctx: ConfigContext): ConfigIssue[] {
  return crossFieldIssuesAt(cfg, ctx).map((i) => ({ path: formatPath(i.path), message: i.message }));
}

/**
 * Rules that span fields. The validator runs them on the config with its invalid fields left
 * out too (config/load.ts), so they never wait for every field to be well-formed.
 */
export function crossFieldIssuesAt(
  cfg: StackConfig,
  ctx: ConfigContext,
): { path: (string | number)[]; message: string }[] {
  const issues: { path: (string | number)[]; message: string }[] = [];
  const add = (path: (string | number)[], message: string) => issues.push({ path, message });
  const { fleet } = cfg;

  const serviceNames = fleet.services.map((s) => s.name);
  if (fleet.services.length === 0 && fleet.externalTargets.length === 0) {
    add(
      ["fleet", "services"],
      "must declare at least one service, or at least one externalTargets entry for a fleet that only monitors",
    );
  }
  for (const d of duplicates(serviceNames)) {
    const i = serviceNames.lastIndexOf(d);
    add(
      ["fleet", "services", i, "name"],
      `service name "${d}" is used twice; give every service a unique name`,
    );
  }
  const targetNames = new Set([...serviceNames, ...fleet.externalTargets.map((t) => t.name)]);
  fleet.externalTargets.forEach((t, i) => {
    if (serviceNames.includes(t.name)) {
      add(
        ["fleet", "externalTargets", i, "name"],
        `"${t.name}" is also a service name; external targets need their own names`,
      );
    }
  });

  fleet.services.forEach((s, i) => {
    const reason = unpinnedReason(s.image, fleet.floatingTags);
    if (reason) add(["fleet", "services", i, "image"], reason);
    if (s.type === "web" && !s.healthCheckPath) {
      add(
        ["fleet", "services", i, "healthCheckPath"],
        `web service "${s.name}" needs a health check path such as /health`,
      );
    }
    if (s.registryCredential !== undefined) {
      const declared =
        cfg.platform.kind === "render" ? cfg.platform.registryCredentials.map((c) => c.name) : [];
      if (!declared.includes(s.registryCredential)) {
        add(
          ["fleet", "services", i, "registryCredential"],
          `no registry credential "${s.registryCredential}" in platform.registryCredentials; declare it there or use registryCredentialId`,
        );
      }
      if (s.registryCredentialId !== undefined) {
        add(
          ["fleet", "services", i, "registryCredentialId"],
          "set registryCredential or registryCredentialId, not both",
        );
      }
    }
    if (cfg.platform.kind === "render" && s.type !== "web" && s.healthCheckPath) {
      add(
        ["fleet", "services", i, "healthCheckPath"],
        `Render health-checks only web services; remove healthCheckPath from ${s.type} service "${s.name}" (cover it with a smoke check instead)`,
      );
    }
    if (s.type === "cron" && !s.schedule) {
      add(
        ["fleet", "services", i, "schedule"],
        `cron service "${s.name}" needs a schedule such as "0 * * * *"`,
      );
    }
    if (s.type !== "cron" && s.schedule) {
      add(
        ["fleet", "services", i, "schedule"],
        `only cron services take a schedule; remove it or set type: cron`,
      );
    }
    if (cfg.platform.kind === "local" && !s.local) {
      add(
        ["fleet", "services", i, "local"],
        `the local platform needs local.command and local.port for "${s.name}"`,
      );
    }
    reportCaseDuplicates(Object.keys(s.env), ["fleet", "services", i, "env"], add);
    reportPlainSecrets(s.env, ["fleet", "services", i, "env"], add);
    // The same key in a set and in the service's own layer, spelled differently: both would
    // reach the process (env names are case-sensitive) although one was meant to override the other.
    fleet.envSets.forEach((set) => {
      if (!set.services.includes(s.name)) return;
      for (const key of Object.keys(s.env)) {
        const other = Object.keys(set.vars).find((k) => k !== key && k.toUpperCase() === key.toUpperCase());
        if (other) {
          add(
            ["fleet", "services", i, "env", key],
            `"${key}" differs only in case from "${other}" of env-var set "${set.name}", so the service would get both; spell it "${other}" to override the set's value, or rename one`,
          );
        }
      }
    });
  });

  if (cfg.platform.kind === "local") {
    const ports = fleet.services.map((s) => s.local?.port).filter((p): p is number => p !== undefined);
    for (const p of duplicates(ports.map(String))) {
      const i = fleet.services.findIndex(
        (s, j) => s.local?.port === Number(p) && ports.indexOf(Number(p)) !== j,
      );
      add(
        ["fleet", "services", i, "local", "port"],
        `port ${p} is used by two services; give each its own port`,
      );
    }
  }

  const setNames = fleet.envSets.map((e) => e.name);
  for (const d of duplicates(setNames)) {
    add(["fleet", "envSets", setNames.lastIndexOf(d), "name"], `env-var set name "${d}" is used twice`);
  }
  const owner = new Map<string, string>();
  fleet.envSets.forEach((set, i) => {
    set.services.forEach((svc, j) => {
      if (!serviceNames.includes(svc)) {
        add(
          ["fleet", "envSets", i, "services", j],
          `unknown service "${svc}"; declare it under fleet.services`,
        );
      } else if (owner.has(svc)) {
        // Two sets on one service would each PUT the whole set and fight over it.
        add(
          ["fleet", "envSets", i, "services", j],
          `service "${svc}" already receives env-var set "${owner.get(svc)}"; a service takes one set (Render replaces the whole set on every push)`,
        );
      } else owner.set(svc, set.name);
    });
    for (const d of duplicates(set.services)) {
      add(["fleet", "envSets", i, "services"], `service "${d}" is listed twice`);
    }
    reportCaseDuplicates(Object.keys(set.vars), ["fleet", "envSets", i, "vars"], add);
    reportPlainSecrets(set.vars, ["fleet", "envSets", i, "vars"], add);
  });

  cfg.gates.smoke?.checks.forEach((c, i) => {
    if (!targetNames.has(c.target)) {
      add(
        ["gates", "smoke", "checks", i, "target"],
        `unknown target "${c.target}"; name a service or an external target`,
      );
    }
  });
  const checkNames = cfg.gates.smoke?.checks.map((c) => c.name) ?? [];
  for (const d of duplicates(checkNames)) {
    add(["gates", "smoke", "checks", checkNames.lastIndexOf(d), "name"], `check name "${d}" is used twice`);
  }

  const integrity = cfg.gates.integrity;
  if (
    integrity?.engine === "postgres" &&
    typeof integrity.connection === "string" &&
    /:\/\/[^/@\s]*:[^/@\s]+@/.test(integrity.connection)
  ) {
    add(
      ["gates", "integrity", "connection"],
      "the connection string holds a password in plain text; set it with `pulumi config set --secret` and use { secret: <key> }",
    );
  }

  for (const issue of alarmsStackIssues(cfg)) add(issue.path, issue.message);
  for (const issue of deployConfigIssues(cfg)) add(issue.path, issue.message);
  for (const issue of waveIssues(fleet)) add(issue.path, issue.message);
  for (const issue of releaseIssues(cfg)) add(issue.path, issue.message);
  for (const issue of diskIssues(cfg)) add(issue.path, issue.message);
  for (const issue of generatedCheckSecretIssues(cfg)) add(issue.path, issue.message);

  forEachSecretRef(cfg, [], (ref, path) => {
    if ("secret" in ref) {
      const key = (ref as { secret: string }).secret;
      if (!ctx.secretKeys.has(key)) {
        add(path, `secret "${key}" is not set; run: pulumi config set --secret fleetgate:${key} <value>`);
      }
    }
  });
  return issues;
}

/** Plain values that should be secrets: under a secret-looking name, or a URL with credentials. */
function reportPlainSecrets(
  layer: Record<string, unknown>,
  path: (string | number)[],
  add: (p: (string | number)[], m: string) => void,
) {
  for (const [key, value] of Object.entries(layer)) {
    if (typeof value !== "string") continue;
    if (urlHasCredentials(value)) {
      // Never echo the value: it holds the credential.
      add(
        [...path, key],
        `the URL carries credentials (user:password@) in plain text, which would show in diffs and state; ${plainSecretFix(key)}`,
      );
    } else if (nameLooksSecret(key)) {
      add([...path, key], `has a plain value but its name looks secret; ${plainSecretFix(key)}`);
    }
  }
}

function reportCaseDuplicates(
  keys: string[],
  path: (string | number)[],
  add: (p: (string | number)[], m: string) => void,
) {
  const lower = keys.map((k) => k.toUpperCase());
  for (const d of duplicates(lower)) {
    const same = keys.filter((k) => k.toUpperCase() === d);
    add(path, `env var ${same.map((k) => `"${k}"`).join(" and ")} repeat one key in one layer; keep one`);
  }
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const p of path) {
    if (typeof p === "number") out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out || "(root)";
}
