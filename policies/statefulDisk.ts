/**
 * Disks for stateful services (docs/disks.md): a Render service the stack marks `stateful` must
 * carry a persistent disk, or its data (a metrics store, a search index) is lost on every deploy.
 * The config refuses it first (config/disks.ts); this is the second line, for resources
 * registered around the config. The local platform's processes keep their files, so only Render
 * services are checked.
 */
import { ReportViolation, ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { stringProp } from "./lib/props";
import { RENDER_SERVICE } from "./lib/resourceTypes";

const FIX = "add disk: { mountPath, sizeGB } to the service in fleet.services, or remove stateful";

export const statefulDisk: ResourceValidationPolicy = {
  name: "stateful-disk",
  description:
    "A Render service marked stateful needs a persistent disk; without one its data is lost on every deploy. Add disk: { mountPath, sizeGB } to the service in fleet.services, or remove stateful.",
  enforcementLevel: "mandatory",
  validateResource: (args: ResourceValidationArgs, report: ReportViolation) => {
    if (args.type !== RENDER_SERVICE || args.props.stateful !== true) return;
    const disk = args.props.disk as { mountPath?: unknown; sizeGB?: unknown } | undefined;
    if (
      disk &&
      typeof disk === "object" &&
      typeof disk.mountPath === "string" &&
      typeof disk.sizeGB === "number"
    )
      return;
    const name = stringProp(args.props, "name") ?? args.name;
    report(
      `service "${name}" is marked stateful but has no disk: its data would be lost on every deploy; ${FIX}`,
    );
  },
};
