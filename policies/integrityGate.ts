/**
 * Integrity gate: a stack with a database snapshots it before the deploy and verifies it after,
 * so a migration that drops a table or loses rows fails the update instead of going live.
 *
 * "Has a database": an env-var set declares a database URL key (DATABASE_URL, *_DSN,
 * POSTGRES_URL, PG..._URL; configurable), or the stack already has an integrity snapshot.
 */
import { envResourceView } from "./lib/envResources";
import { PolicyResource, ReportViolation, StackValidationArgs, StackValidationPolicy } from "@pulumi/policy";
import { compilePatterns, configWithDefaults, stringList } from "./lib/config";
import { ENV_SET_TYPES, INTEGRITY_SNAPSHOT, INTEGRITY_VERIFY } from "./lib/resourceTypes";

export interface IntegrityGateConfig {
  /** Env var names (regular expressions, case-insensitive) that mean "this fleet has a database". */
  databaseKeyPatterns: string[];
}

export const DEFAULT_DATABASE_KEY_PATTERNS = [
  "^([A-Z0-9]+_)*DATABASE_URL$",
  // DSNs name databases, except error trackers' (SENTRY_DSN is an HTTPS endpoint).
  "^(?!SENTRY_)([A-Z0-9]+_)*DSN$",
  "^(POSTGRES|POSTGRESQL|PG)[A-Z0-9_]*_UR[LI]$",
];

const DEFAULTS: IntegrityGateConfig = { databaseKeyPatterns: DEFAULT_DATABASE_KEY_PATTERNS };

export const integrityGate: StackValidationPolicy = {
  name: "integrity-gate",
  description:
    "A stack with a database must have an integrity snapshot before the deploy and a verify after it. Add gates.integrity (engine, connection, criticalTables) to the stack config.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      databaseKeyPatterns: stringList(
        "Env var names (regular expressions, case-insensitive) that mean the fleet has a database.",
        DEFAULT_DATABASE_KEY_PATTERNS,
      ),
    },
  },
  validateStack: (args: StackValidationArgs, report: ReportViolation) => {
    const cfg = configWithDefaults<IntegrityGateConfig>(args.getConfig, DEFAULTS);
    const patterns = compilePatterns("integrity-gate.databaseKeyPatterns", cfg.databaseKeyPatterns);
    const evidence = databaseEvidence(args.resources, patterns);
    if (!evidence) return;
    const has = (type: string) => args.resources.some((r) => r.type === type);
    const missing = [
      has(INTEGRITY_SNAPSHOT) ? undefined : "a snapshot before the deploy",
      has(INTEGRITY_VERIFY) ? undefined : "a verify after it",
    ].filter((m): m is string => m !== undefined);
    if (missing.length) {
      report(
        `the stack has a database (${evidence}) but no integrity gate (missing ${missing.join(" and ")}); add gates.integrity with engine, connection and criticalTables`,
      );
    }
  },
};

/** Says why the stack has a database, or undefined when it has none. */
function databaseEvidence(resources: PolicyResource[], patterns: RegExp[]): string | undefined {
  for (const r of resources.filter((x) => ENV_SET_TYPES.includes(x.type))) {
    const view = envResourceView(r);
    const key = view.keys.find((k) => patterns.some((p) => p.test(k)));
    if (key) return `${view.label} declares ${key}`;
  }
  if (resources.some((r) => r.type === INTEGRITY_SNAPSHOT)) return "an integrity snapshot is declared";
  return undefined;
}
