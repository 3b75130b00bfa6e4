/**
 * Builds the monitor's plan from the validated stack config: the same smoke check definitions
 * as the deploy gate, aimed at the services' public URLs, secrets left as slots (config keys and
 * the stack's generated secrets alike: the monitor and scripts/run-checks.ts fill them).
 */
import { CheckConfig } from "../../config/checks";
import { isSecretRef, PlainOrSecret, SecretRef } from "../../config/primitives";
import { StackConfig } from "../../config/schema";
import type { MonitorPlan, PlannedCheck, SecretSlot } from "../../lambda/monitor/plan";
import { targetBaseUrls } from "../alarms/targets";

/** The config's reference as is: `{ secret: <key> }` or `{ generated: <name> }` (see SecretSlot). */
function slot(ref: SecretRef): SecretSlot {
  return "secret" in ref ? { secret: ref.secret } : { generated: ref.generated };
}

function plannedCheck(check: CheckConfig, baseUrl: string, defaultTimeoutMs: number): PlannedCheck {
  const { headers, timeoutMs, ...rest } = check;
  const planned: PlannedCheck = {
    ...(rest as Omit<CheckConfig, "headers" | "timeoutMs">),
    target: check.target,
    url: `${baseUrl}${check.path}`,
    timeoutMs: timeoutMs ?? defaultTimeoutMs,
  } as PlannedCheck;
  if (headers) {
    planned.headers = Object.fromEntries(
      Object.entries(headers).map(([k, v]: [string, PlainOrSecret]) => [k, isSecretRef(v) ? slot(v) : v]),
    );
  }
  if ("validKey" in check) planned.validKey = slot(check.validKey);
  if ("apiKey" in check && check.apiKey) planned.apiKey = slot(check.apiKey);
  if ("signingSecret" in check) planned.signingSecret = slot(check.signingSecret);
  return planned;
}

/**
 * The stack's smoke checks as a plan: URLs from the config, secrets as slots. Shared by the
 * monitor Lambda and `scripts/run-checks.ts` (the health-monitor workflow).
 */
export function checkPlan(cfg: StackConfig, severity: string): MonitorPlan {
  const smoke = cfg.gates.smoke;
  if (!smoke) throw new Error("gates.smoke: there are no smoke checks to run; declare gates.smoke.checks");
  const urls = targetBaseUrls(cfg);
  return {
    fleet: cfg.fleet.name,
    environment: cfg.fleet.environment,
    severity,
    retries: smoke.retries,
    checks: smoke.checks.map((c, i) => {
      const base = urls[c.target];
      if (!base) throw new Error(`gates.smoke.checks[${i}].target: unknown target "${c.target}"`);
      return plannedCheck(c, base, smoke.timeoutMs);
    }),
  };
}

export function monitorPlan(cfg: StackConfig): MonitorPlan {
  if (!cfg.gates.smoke)
    throw new Error("alarms.monitor: the monitor runs the gates.smoke checks; declare gates.smoke.checks");
  const monitor = cfg.alarms?.monitor;
  if (!monitor) throw new Error("alarms.monitor is not set");
  return checkPlan(cfg, monitor.severity);
}
