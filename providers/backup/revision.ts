/**
 * Which changes touch the database (the backup rule, docs/deploy-features.md): the dump runs
 * when the "database revision" changes, a hash of the image and env declarations of the
 * services listed in `gates.backup.services` (and of the env-var sets they receive). Without
 * that list every change of the fleet revision counts.
 */
import { createHash } from "crypto";
import { normalizeImageRef } from "../../config/image";
import type { FleetConfig } from "../../config/schema";
import { fleetRevision } from "../../components/revision";

export function backupRevision(fleet: FleetConfig, services?: string[]): string {
  if (!services) return fleetRevision(fleet);
  const wanted = new Set(services);
  const canonical = {
    services: fleet.services
      .filter((s) => wanted.has(s.name))
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((s) => ({
        name: s.name,
        image: normalizeImageRef(s.image),
        env: Object.entries(s.env).sort(([a], [b]) => a.localeCompare(b)),
      })),
    envSets: fleet.envSets
      .filter((e) => e.services.some((s) => wanted.has(s)))
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((e) => ({ name: e.name, vars: Object.entries(e.vars).sort(([a], [b]) => a.localeCompare(b)) })),
  };
  return createHash("sha256").update(JSON.stringify(canonical)).digest("hex").slice(0, 16);
}
