/**
 * Secrets the stack generates itself (`{ generated: <name> }`) that a smoke check sends: the
 * health-monitor workflow (scripts/run-checks.ts) runs outside `pulumi up` and can read no
 * state, so the stack's CiPipeline hands each such value to it as a GitHub environment secret.
 * This rule makes that hand-over declared in ci.secrets, under one agreed name.
 */
import type { StackConfig } from "./schema";
import { isSecretRef } from "./primitives";

/** The env var (and GitHub secret) carrying a generated secret: smoke-api-key → FLEETGATE_GENERATED_SMOKE_API_KEY. */
export function generatedEnvName(name: string): string {
  return `FLEETGATE_GENERATED_${name.replace(/[^A-Za-z0-9]/g, "_").toUpperCase()}`;
}

/** Every `{ generated }` name anywhere in `value` (a config or a part of it), sorted and unique. */
export function generatedNames(value: unknown): string[] {
  const names = new Set<string>();
  const visit = (v: unknown): void => {
    if (isSecretRef(v)) {
      if ("generated" in v) names.add(v.generated);
    } else if (Array.isArray(v)) v.forEach(visit);
    else if (v && typeof v === "object") Object.values(v).forEach(visit);
  };
  visit(value);
  return [...names].sort();
}

/** Names of the `{ generated }` secrets the smoke checks send (headers, keys, signing secrets). */
export function generatedCheckSecrets(cfg: Pick<StackConfig, "gates">): string[] {
  return generatedNames(cfg.gates.smoke?.checks ?? []);
}

/**
 * With a `ci` section (its health-monitor workflow runs the smoke checks), every generated secret
 * a check sends must be a read-scope ci.secrets entry named `generatedEnvName(name)`.
 */
export function generatedCheckSecretIssues(
  cfg: Pick<StackConfig, "gates" | "ci">,
): { path: (string | number)[]; message: string }[] {
  if (!cfg.ci) return [];
  const secrets = cfg.ci.secrets;
  return generatedCheckSecrets(cfg).flatMap((name) => {
    const envName = generatedEnvName(name);
    const i = secrets.findIndex((s) => s.name === envName);
    const entry = `{ name: ${envName}, value: { generated: ${name} }, scope: read }`;
    const s = secrets[i];
    if (!s) {
      return [
        {
          path: ["ci", "secrets"],
          message: `the smoke checks send the generated secret "${name}", which the health-monitor workflow can only get from a GitHub secret; add ${entry}`,
        },
      ];
    }
    const issues: { path: (string | number)[]; message: string }[] = [];
    if (!("generated" in s.value) || s.value.generated !== name) {
      issues.push({
        path: ["ci", "secrets", i, "value"],
        message: `${envName} is what scripts/run-checks.ts reads for the generated secret "${name}"; set value: { generated: ${name} }`,
      });
    }
    if (s.scope !== "read") {
      issues.push({
        path: ["ci", "secrets", i, "scope"],
        message: `${envName} must reach the health-monitor workflow (GitHub environment <env>-read); set scope: read`,
      });
    }
    return issues;
  });
}
