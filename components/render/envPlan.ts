/**
 * The declared env-var map of each Render service (HELPERS item 5): the union of every layer that
 * applies to it — the vars of each env-var set that lists it, then its own `env` overrides (a
 * later layer wins for the same key). One map per service, so renaming a set or moving a service
 * between sets changes only the maps of the services concerned and never deletes a key that is
 * still declared somewhere.
 */
import { PlainOrSecret } from "../../config/primitives";
import { EnvSetConfig, ServiceConfig } from "../../config/schema";

export interface ServiceEnvPlan {
  /** Every declared key and its value (plain or a secret reference). */
  vars: Record<string, PlainOrSecret>;
  /** Per key, the layer that declared it: `set:<name>` or `service`. */
  sources: Record<string, string>;
}

/**
 * Per service with at least one declared key, its merged map. Two sets declaring the same key
 * with different values for one service is a config error naming both sets (no silent winner).
 */
export function planServiceEnv(
  services: ServiceConfig[],
  envSets: EnvSetConfig[],
): Record<string, ServiceEnvPlan> {
  const plans: Record<string, ServiceEnvPlan> = {};
  for (const s of services) {
    const vars: Record<string, PlainOrSecret> = {};
    const sources: Record<string, string> = {};
    for (const set of envSets.filter((e) => e.services.includes(s.name))) {
      for (const [k, v] of Object.entries(set.vars)) {
        if (Object.hasOwn(vars, k) && JSON.stringify(vars[k]) !== JSON.stringify(v)) {
          throw new Error(
            `fleet.envSets: sets "${sources[k].slice(4)}" and "${set.name}" both declare ${k} for service "${s.name}" with different values; keep it in one set or move it to the service's env`,
          );
        }
        vars[k] = v;
        sources[k] = `set:${set.name}`;
      }
    }
    for (const [k, v] of Object.entries(s.env ?? {})) {
      vars[k] = v;
      sources[k] = "service";
    }
    if (Object.keys(vars).length > 0) plans[s.name] = { vars, sources };
  }
  return plans;
}

/** Service names per set, for the `envSets` output (foreign keys by set, as before). */
export function servicesBySet(envSets: EnvSetConfig[]): Record<string, string[]> {
  return Object.fromEntries(envSets.map((e) => [e.name, [...e.services]]));
}
