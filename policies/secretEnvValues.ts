/**
 * Secret env values: a variable whose name says it holds a credential must get its value from
 * a secret reference, so the value is encrypted in state and never printed. Reads the env set's
 * `plainKeys` (declared keys whose value is NOT a secret reference); values are never read.
 */
import { envResourceView } from "./lib/envResources";
import { ReportViolation, ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import {
  DEFAULT_ALLOW_PLAIN_PATTERNS,
  DEFAULT_SECRET_NAME_PATTERNS,
  nameLooksSecret,
  plainSecretFix,
} from "../config/secrets";
import { compilePatterns, configWithDefaults, stringList } from "./lib/config";
import { ENV_SET_TYPES } from "./lib/resourceTypes";

export interface SecretEnvValuesConfig {
  /** Env var names (regular expressions, case-insensitive) that look secret. */
  secretNamePatterns: string[];
  /** Names (regular expressions) that match a secret pattern but are public by design. */
  allowPlainPatterns: string[];
}

// The rule is the config validator's own (config/secrets.ts), so the two never disagree.
export { DEFAULT_ALLOW_PLAIN_PATTERNS, DEFAULT_SECRET_NAME_PATTERNS };

const DEFAULTS: SecretEnvValuesConfig = {
  secretNamePatterns: DEFAULT_SECRET_NAME_PATTERNS,
  allowPlainPatterns: DEFAULT_ALLOW_PLAIN_PATTERNS,
};

export const secretEnvValues: ResourceValidationPolicy = {
  name: "secret-env-values",
  description:
    "Env vars whose names look secret (TOKEN, SECRET, PASSWORD, KEY, database URLs...) must be secret values. Set the value with `pulumi config set --secret fleetgate:<key>` and write NAME: { secret: <key> } in the env set.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      secretNamePatterns: stringList(
        "Env var names (regular expressions, case-insensitive) that must hold secret values.",
        DEFAULT_SECRET_NAME_PATTERNS,
      ),
      allowPlainPatterns: stringList(
        "Env var names (regular expressions) that may stay plain although they match a secret pattern.",
        DEFAULT_ALLOW_PLAIN_PATTERNS,
      ),
    },
  },
  validateResource: (args: ResourceValidationArgs, report: ReportViolation) => {
    if (!ENV_SET_TYPES.includes(args.type)) return;
    const cfg = configWithDefaults<SecretEnvValuesConfig>(args.getConfig, DEFAULTS);
    const secretLike = compilePatterns("secret-env-values.secretNamePatterns", cfg.secretNamePatterns);
    const allowed = compilePatterns("secret-env-values.allowPlainPatterns", cfg.allowPlainPatterns);
    const view = envResourceView(args);
    // "set <name>" for a set, "env vars of service <name>" for one service's map.
    const owner = view.label.startsWith("env-var set ") ? view.label.slice("env-var ".length) : view.label;
    for (const key of view.plainKeys) {
      if (nameLooksSecret(key, secretLike, allowed)) {
        report(
          `env var ${key} of ${owner} has a plain value but its name looks secret; ${plainSecretFix(key)}`,
        );
      }
    }
  },
};
