/**
 * The fleet revision: a hash of every service's image reference, env-var declarations and the
 * settings that change what runs (docker command, pre-deploy command, local command).
 * Gates that must run once per deploy (integrity snapshot, smoke suite, backup) take it as an
 * input, so they re-run exactly when something that is deployed changes.
 */
import { createHash } from "crypto";
import { normalizeImageRef } from "../config/image";
import { FleetConfig } from "../config/schema";

/**
 * Secret values are not hashed (they are not known at this point and a hash of a short secret
 * can be brute-forced); a changed secret value re-runs the gates through the env set's own diff.
 */
export function fleetRevision(fleet: FleetConfig): string {
  const canonical = {
    services: [...fleet.services]
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((s) => ({
        name: s.name,
        image: normalizeImageRef(s.image),
        env: sortKeys(s.env),
        run: { dockerCommand: s.dockerCommand, preDeployCommand: s.preDeployCommand, local: s.local },
      })),
    envSets: [...fleet.envSets]
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((e) => ({ name: e.name, services: [...e.services].sort(), vars: sortKeys(e.vars) })),
  };
  return createHash("sha256").update(JSON.stringify(canonical)).digest("hex").slice(0, 16);
}

function sortKeys<T>(o: Record<string, T>): [string, T][] {
  return Object.entries(o).sort(([a], [b]) => a.localeCompare(b));
}
