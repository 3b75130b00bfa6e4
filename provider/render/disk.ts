/**
 * The persistent disk of a `fleetgate:render:Service` (docs/disks.md).
 *
 * - Create sends the disk inside `serviceDetails.disk` of `POST /services`; an existing service
 *   gets it through `POST /disks {name, mountPath, sizeGB, serviceId}` and changes go through
 *   `PATCH /disks/{diskId}`. The live disk is found with `GET /disks?serviceId=` (cursor envelope
 *   `[{disk, cursor}]`).
 * - Render grows a disk but never shrinks it: a smaller `disk.sizeGB` is refused before anything
 *   is written (in `check` against the recorded size, and in `update` against the live size).
 * - A disk dropped from the config is left on Render (its data would be lost): fleetgate stops
 *   managing it and deletes nothing.
 */
import { listAll, renderRequest, RenderClientSettings } from "./client";
import { PropertyDiff } from "./wire";

/** The declared disk, as `config/disks.ts` `renderDiskPayload()` builds it. */
export interface DiskInputs {
  name: string;
  mountPath: string;
  sizeGB: number;
}

/** A disk as Render's `GET /disks` returns it. */
export interface ApiDisk extends DiskInputs {
  id: string;
  serviceId?: string;
}

const FIELDS = ["name", "mountPath", "sizeGB"] as const;

/** Failures (property `disk`) for a declared disk, given the disk recorded before. */
export function checkDisk(
  who: string,
  serviceType: unknown,
  disk: unknown,
  recorded: DiskInputs | undefined,
): { property: string; reason: string }[] {
  if (disk === undefined || disk === null) return [];
  const fail = (reason: string) => [{ property: "disk", reason: `${who}: ${reason}` }];
  if (typeof disk !== "object" || Array.isArray(disk))
    return fail("disk must be an object { name, mountPath, sizeGB }");
  const d = disk as Partial<DiskInputs>;
  if (serviceType === "cron")
    return fail(
      "Render attaches disks to web, private and worker services only; remove disk from this cron service",
    );
  if (typeof d.name !== "string" || d.name === "") return fail("disk.name must be a non-empty string");
  if (typeof d.mountPath !== "string" || !/^\/[^\s]*[^/\s]$/.test(d.mountPath))
    return fail("disk.mountPath must be an absolute directory path other than / (e.g. /var/lib/data)");
  if (typeof d.sizeGB !== "number" || !Number.isInteger(d.sizeGB) || d.sizeGB < 1)
    return fail("disk.sizeGB must be a whole number of GB, at least 1");
  if (recorded && d.sizeGB < recorded.sizeGB) return fail(shrinkMessage(recorded.sizeGB, d.sizeGB));
  return [];
}

function shrinkMessage(current: number, declared: number): string {
  return (
    `disk.sizeGB cannot go from ${current} GB down to ${declared} GB: Render grows a disk but never ` +
    `shrinks it; set disk.sizeGB to ${current} or more (a smaller disk means a new disk and moving the data)`
  );
}

/** `detailedDiff` entries for the disk: `disk` when added or dropped, else `disk.<field>`. */
export function diskDiffs(
  olds: DiskInputs | undefined,
  news: DiskInputs | undefined,
): Record<string, PropertyDiff> {
  if (!olds && !news) return {};
  if (!olds) return { disk: { kind: "add", inputDiff: true } };
  if (!news) return { disk: { kind: "delete", inputDiff: true } };
  const out: Record<string, PropertyDiff> = {};
  for (const f of FIELDS) if (olds[f] !== news[f]) out[`disk.${f}`] = { kind: "update", inputDiff: true };
  return out;
}

/** The disk attached to a service on Render, if any. */
export async function liveDisk(s: RenderClientSettings, serviceId: string): Promise<ApiDisk | undefined> {
  const disks = await listAll<ApiDisk>(s, "/disks", "disk", { serviceId });
  return disks.find((d) => d.serviceId === undefined || d.serviceId === serviceId);
}

/** The disk as the service's inputs record it. */
export function diskInputsOf(d: ApiDisk): DiskInputs {
  return { name: d.name, mountPath: d.mountPath, sizeGB: d.sizeGB };
}

/** What one update does to the disk; computed (and refused) before anything is written. */
export type DiskPlan =
  | { action: "none" }
  | { action: "create"; body: DiskInputs & { serviceId: string } }
  | { action: "patch"; diskId: string; body: Partial<DiskInputs> };

export async function planDisk(
  s: RenderClientSettings,
  serviceId: string,
  declared: DiskInputs | undefined,
): Promise<DiskPlan> {
  if (!declared) return { action: "none" }; // an undeclared disk is left alone
  const live = await liveDisk(s, serviceId);
  if (!live) return { action: "create", body: { ...declared, serviceId } };
  if (declared.sizeGB < live.sizeGB) throw new Error(shrinkMessage(live.sizeGB, declared.sizeGB));
  const body: Partial<DiskInputs> = {};
  for (const f of FIELDS) if (live[f] !== declared[f]) Object.assign(body, { [f]: declared[f] });
  return Object.keys(body).length ? { action: "patch", diskId: live.id, body } : { action: "none" };
}

export async function applyDisk(s: RenderClientSettings, plan: DiskPlan): Promise<void> {
  if (plan.action === "create") await renderRequest(s, "POST", "/disks", plan.body);
  if (plan.action === "patch") {
    // Absolute values: safe to repeat.
    await renderRequest(s, "PATCH", `/disks/${encodeURIComponent(plan.diskId)}`, plan.body, {
      idempotent: true,
    });
  }
}
