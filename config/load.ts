/**
 * Loads and validates the stack config. Validation is pure (raw object in, typed config or
 * every issue out) so tests can run it over YAML files without an engine; `loadFromPulumi`
 * adapts it to `pulumi.Config` for the program.
 */
import { z } from "zod";
import { ConfigContext, ConfigIssue, crossFieldIssues, formatPath, StackConfig, stackConfig } from "./schema";

/** The config keys a stack reads, in the `fleetgate` namespace. */
export const STACK_CONFIG_KEYS = Object.keys(stackConfig.shape) as (keyof StackConfig)[];

export class ConfigError extends Error {
  constructor(readonly issues: ConfigIssue[]) {
    super(
      `invalid fleetgate stack config (${issues.length} problem${issues.length === 1 ? "" : "s"}):\n` +
        issues.map((i) => `  - ${i.path}: ${i.message}`).join("\n"),
    );
    this.name = "ConfigError";
  }
}

function describeZodIssue(issue: z.core.$ZodIssue): ConfigIssue[] {
  const path = formatPath(issue.path);
  switch (issue.code) {
    case "unrecognized_keys":
      return issue.keys.map((k) => ({
        path: formatPath([...issue.path, k]),
        message: `unknown key "${k}"; remove it or check its spelling`,
      }));
    case "invalid_type":
      if (issue.input === undefined) return [{ path, message: `is required (expected ${issue.expected})` }];
      return [{ path, message: `must be ${issue.expected}, got ${describeInput(issue.input)}` }];
    case "invalid_union": {
      // A discriminated union whose tag matched no option lists the allowed tags.
      const { options, discriminator } = issue as { options?: unknown[]; discriminator?: string };
      if (discriminator && options) {
        return [{ path, message: `must be one of ${options.join(", ")}` }];
      }
      return [{ path, message: issue.message }];
    }
    case "invalid_key": {
      const key = String(issue.path[issue.path.length - 1]);
      return [{ path, message: `"${key}" ${issue.issues.map((i) => i.message).join("; ")}` }];
    }
    default:
      return [{ path, message: issue.message }];
  }
}

function describeInput(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  return typeof v === "object" ? "an object" : `${typeof v} ${JSON.stringify(v)}`;
}

export type ValidationResult = { ok: true; config: StackConfig } | { ok: false; issues: ConfigIssue[] };

/** Validates a raw stack config (keys without namespace) and returns the typed config or every issue. */
export function validateStackConfig(raw: unknown, ctx: ConfigContext): ValidationResult {
  const parsed = stackConfig.safeParse(raw);
  if (!parsed.success) return { ok: false, issues: parsed.error.issues.flatMap(describeZodIssue) };
  const issues = crossFieldIssues(parsed.data, ctx);
  return issues.length ? { ok: false, issues } : { ok: true, config: parsed.data };
}

/** Like validateStackConfig, but throws a ConfigError listing every issue. */
export function parseStackConfig(raw: unknown, ctx: ConfigContext): StackConfig {
  const result = validateStackConfig(raw, ctx);
  if (!result.ok) throw new ConfigError(result.issues);
  return result.config;
}

/**
 * Reads the stack's `fleetgate:*` config from the running Pulumi program and validates it.
 * Secret config keys are discovered (not read) so a missing secret is a config error up front.
 */
export function loadFromPulumi(): StackConfig {
  // Required lazily: the schema and its tests must not need the Pulumi runtime.
  const pulumi = require("@pulumi/pulumi") as typeof import("@pulumi/pulumi");
  const runtimeConfig = require("@pulumi/pulumi/runtime/config") as {
    allConfig(): Record<string, string>;
    isConfigSecret(k: string): boolean;
  };
  const cfg = new pulumi.Config("fleetgate");
  const raw: Record<string, unknown> = {};
  for (const key of STACK_CONFIG_KEYS) {
    const value = cfg.getObject<unknown>(key);
    if (value !== undefined) raw[key] = value;
  }
  const secretKeys = new Set<string>();
  for (const full of Object.keys(runtimeConfig.allConfig())) {
    if (full.startsWith("fleetgate:") && runtimeConfig.isConfigSecret(full))
      secretKeys.add(full.slice("fleetgate:".length));
  }
  // A plain key that is neither a section nor a secret is a typo: report it with the rest.
  const unknown: ConfigIssue[] = Object.keys(runtimeConfig.allConfig())
    .filter((full) => full.startsWith("fleetgate:"))
    .map((full) => full.slice("fleetgate:".length))
    .filter((key) => !STACK_CONFIG_KEYS.includes(key as keyof StackConfig) && !secretKeys.has(key))
    .map((key) => ({
      path: key,
      message: `unknown config key "fleetgate:${key}"; known keys: ${STACK_CONFIG_KEYS.join(", ")}`,
    }));
  const result = validateStackConfig(raw, { secretKeys });
  if (!result.ok || unknown.length) throw new ConfigError([...unknown, ...(result.ok ? [] : result.issues)]);
  return result.config;
}
