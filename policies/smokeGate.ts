/**
 * Smoke gate: a stack that deploys services runs a smoke suite inside `pulumi up`, and the
 * suite covers every public service, so a deploy that breaks one fails the update.
 */
import { ReportViolation, StackValidationArgs, StackValidationPolicy } from "@pulumi/policy";
import { stringListProp } from "./lib/props";
import { SMOKE_SUITE } from "./lib/resourceTypes";
import { stackServices } from "./lib/services";

export const smokeGate: StackValidationPolicy = {
  name: "smoke-gate",
  description:
    "A stack with services must have a smoke suite whose checks cover each public service. Add gates.smoke.checks with a check whose target is each public service.",
  enforcementLevel: "mandatory",
  validateStack: (args: StackValidationArgs, report: ReportViolation) => {
    const services = stackServices(args.resources);
    if (services.length === 0) return;
    const suites = args.resources.filter((r) => r.type === SMOKE_SUITE);
    if (suites.length === 0) {
      const publicNames = services.filter((s) => s.public).map((s) => s.name);
      report(
        `the stack deploys ${services.length} service(s) but has no smoke suite; add gates.smoke with checks` +
          (publicNames.length ? ` targeting ${publicNames.join(", ")}` : ""),
      );
      return;
    }
    const covered = new Set(suites.flatMap((s) => stringListProp(s.props, "targets")));
    for (const svc of services.filter((s) => s.public && !covered.has(s.name))) {
      report(
        `public service "${svc.name}" is not covered by the smoke suite; add a check with target: ${svc.name} under gates.smoke.checks`,
        svc.resource.urn,
      );
    }
  },
};
