/**
 * Health check on every public web service: without one the platform routes traffic to a
 * deploy that started but does not answer, and the service-down alarm has nothing to watch.
 */
import { ReportViolation, ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { stringProp } from "./lib/props";
import { SERVICE_TYPES } from "./lib/resourceTypes";
import { isPublic } from "./lib/services";

export const webHealthCheck: ResourceValidationPolicy = {
  name: "web-health-check",
  description:
    "Every public web service needs a health check path. Set healthCheckPath (e.g. /health) on the service in fleet.services.",
  enforcementLevel: "mandatory",
  validateResource: (args: ResourceValidationArgs, report: ReportViolation) => {
    if (!SERVICE_TYPES.includes(args.type) || !isPublic(args.props)) return;
    const path = stringProp(args.props, "healthCheckPath");
    if (!path || !path.startsWith("/")) {
      const name = stringProp(args.props, "name") ?? args.name;
      report(
        `public service "${name}" has no health check path; set healthCheckPath (e.g. /health) for it in fleet.services`,
      );
    }
  },
};
