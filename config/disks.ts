/**
 * Persistent disks (docs/disks.md): a service that keeps state in files (a metrics store, a
 * search index) declares a disk, and a service the stack marks `stateful` is refused without
 * one, because its data would be lost on every deploy. The Render wire shape is below
 * (`renderDiskPayload`); the local platform's processes keep their files anyway and ignore it.
 */
import { z } from "zod";
import { resourceName } from "./primitives";

export const diskConfig = z.strictObject({
  /** Disk name (default `<service>-data`). */
  name: resourceName.optional(),
  /** Absolute path the disk is mounted at inside the service (e.g. /var/lib/victoria-metrics). */
  mountPath: z
    .string()
    .regex(/^\/[^\s]*[^/\s]$/, "must be an absolute directory path other than / (e.g. /var/lib/data)"),
  /** Size in GB; Render can grow a disk but never shrink it. */
  sizeGB: z
    .number()
    .int("must be a whole number of GB")
    .min(1, "must be at least 1 GB")
    .max(10_000, "must be at most 10000 GB"),
});
export type DiskConfig = z.infer<typeof diskConfig>;

interface DiskService {
  name: string;
  type: string;
  instances: number;
  disk?: DiskConfig;
  stateful?: boolean;
}

/** Cross-field rules of disks, as (path, message) pairs for the schema's collector. */
export function diskIssues(cfg: {
  platform: { kind: string };
  fleet: { services: DiskService[] };
}): { path: (string | number)[]; message: string }[] {
  const issues: { path: (string | number)[]; message: string }[] = [];
  cfg.fleet.services.forEach((s, i) => {
    const at = (...rest: string[]) => ["fleet", "services", i, ...rest];
    if (s.stateful && !s.disk) {
      issues.push({
        path: at("disk"),
        message: `service "${s.name}" is marked stateful but has no disk: its data would be lost on every deploy; add disk: { mountPath, sizeGB } or remove stateful`,
      });
    }
    if (!s.disk) return;
    if (s.type === "cron") {
      issues.push({
        path: at("disk"),
        message: `cron service "${s.name}" cannot have a disk (Render attaches disks to web, private and worker services only)`,
      });
    }
    if (cfg.platform.kind === "render" && s.instances > 1) {
      issues.push({
        path: at("instances"),
        message: `service "${s.name}" has a disk and ${s.instances} instances; a Render service with a disk runs one instance: set instances: 1`,
      });
    }
  });
  const names = new Map<string, number>();
  cfg.fleet.services.forEach((s, i) => {
    if (!s.disk) return;
    const name = diskName(s);
    if (names.has(name)) {
      issues.push({
        path: ["fleet", "services", i, "disk", "name"],
        message: `disk name "${name}" is also used by service "${cfg.fleet.services[names.get(name)!].name}"; give each disk its own name`,
      });
    } else names.set(name, i);
  });
  return issues;
}

export function diskName(s: { name: string; disk?: DiskConfig }): string {
  return s.disk?.name ?? `${s.name}-data`;
}

/**
 * The disk as Render's API takes it: inside `serviceDetails` of `POST /v1/services`
 * (`serviceDetails.disk = { name, mountPath, sizeGB }`), or as the body of `POST /v1/disks`
 * for an existing service (with `serviceId`); `PATCH /v1/disks/{diskId}` takes
 * `{ name, mountPath, sizeGB }` (a smaller sizeGB is refused by Render).
 */
export function renderDiskPayload(
  s: { name: string; disk?: DiskConfig },
  serviceId?: string,
): { name: string; mountPath: string; sizeGB: number; serviceId?: string } | undefined {
  if (!s.disk) return undefined;
  return {
    name: diskName(s),
    mountPath: s.disk.mountPath,
    sizeGB: s.disk.sizeGB,
    ...(serviceId ? { serviceId } : {}),
  };
}
