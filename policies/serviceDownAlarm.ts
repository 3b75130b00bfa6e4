/**
 * Service-down alarm per public service: a public service nobody is paged for when it stops
 * answering is found by its users first. Alarms are CloudWatch alarms tagged
 * `fleetgate:service=<name>` and `fleetgate:alarm=service-down`.
 */
import { ReportViolation, StackValidationArgs, StackValidationPolicy } from "@pulumi/policy";
import { configWithDefaults, stringList } from "./lib/config";
import { known } from "./lib/props";
import {
  ALARM_KIND_TAG,
  ALARM_SERVICE_TAG,
  AWS_COMPOSITE_ALARM,
  AWS_METRIC_ALARM,
  RENDER_SERVICE,
} from "./lib/resourceTypes";
import { stackServices } from "./lib/services";

export interface ServiceDownAlarmConfig {
  /** Service resource types whose public services need the alarm (local processes cannot be paged for). */
  serviceTypes: string[];
}

const DEFAULTS: ServiceDownAlarmConfig = { serviceTypes: [RENDER_SERVICE] };
const ALARM_TYPES = [AWS_METRIC_ALARM, AWS_COMPOSITE_ALARM];

export const serviceDownAlarm: StackValidationPolicy = {
  name: "service-down-alarm",
  description:
    "Each public service needs a service-down alarm (a CloudWatch alarm tagged fleetgate:alarm=service-down). Add an alarms section to the stack config so the Alarms component declares one.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      serviceTypes: stringList(
        "Service resource types whose public services need a service-down alarm.",
        DEFAULTS.serviceTypes,
      ),
    },
  },
  validateStack: (args: StackValidationArgs, report: ReportViolation) => {
    const cfg = configWithDefaults<ServiceDownAlarmConfig>(args.getConfig, DEFAULTS);
    const alarmed = new Set<string>();
    for (const r of args.resources.filter((x) => ALARM_TYPES.includes(x.type))) {
      const tags = alarmTags(r.props);
      if (tags[ALARM_KIND_TAG] === "service-down" && tags[ALARM_SERVICE_TAG])
        alarmed.add(tags[ALARM_SERVICE_TAG]);
    }
    for (const svc of stackServices(args.resources, cfg.serviceTypes)) {
      if (svc.public && !alarmed.has(svc.name)) {
        report(
          `public service "${svc.name}" has no service-down alarm; add an alarms section to the stack config (the Alarms component tags it ${ALARM_SERVICE_TAG}=${svc.name}, ${ALARM_KIND_TAG}=service-down)`,
          svc.resource.urn,
        );
      }
    }
  },
};

/** `tags` as declared, or `tagsAll` (with provider default tags) when only that is known. */
function alarmTags(props: Record<string, unknown>): Record<string, string> {
  for (const field of ["tags", "tagsAll"]) {
    const v = known(() => props[field]);
    if (v && typeof v === "object") {
      const out: Record<string, string> = {};
      for (const k of Object.keys(v)) {
        const val = known(() => (v as Record<string, unknown>)[k]);
        if (typeof val === "string") out[k] = val;
      }
      if (Object.keys(out).length) return out;
    }
  }
  return {};
}
