/**
 * Builds the monitor's plan from the validated stack config: the same smoke check definitions
 * as the deploy gate, aimed at the services' public URLs (`log` and `liveness` checks at the
 * platform's logs and deploy status, as in the gate), secrets left as slots (config keys and
 * the stack's generated secrets alike: the monitor and scripts/run-checks.ts fill them).
 */
import { CheckConfig } from "../../config/checks";
import { isSecretRef, PlainOrSecret, SecretRef } from "../../config/primitives";
import { StackConfig } from "../../config/schema";
import type { MonitorPlan, PlannedCheck, SecretSlot } from "../../lambda/monitor/plan";
import { targetBaseUrls } from "../alarms/targets";
import { localStateDir } from "../local/stateDir";
import { checkNeedsUrl, checkSourceFields } from "../seedGates";

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

/** Where the monitor runs: `scripts/run-checks.ts` passes its project dir and stack. */
export interface PlanPlace {
  /** The project dir and stack name locate the local platform's state (logs, process records). */
  projectDir?: string;
  stack?: string;
}

/**
 * A `log` or `liveness` check as the deploy gate builds it (components/seedGates.ts
 * `checkSourceFields`), aimed at the platform instead of a URL. On Render the service id is left
 * empty: the run looks it up by name (lambda/monitor/renderIds.ts), since a plan is built from the
 * config before any service exists. Render's API key goes into the check's secret slot.
 */
function platformCheck(cfg: StackConfig, check: CheckConfig, index: number, place: PlanPlace): PlannedCheck {
  const field = `gates.smoke.checks[${index}]`;
  if (!cfg.fleet.services.some((s) => s.name === check.target)) {
    throw new Error(
      `${field}.target: a ${check.kind} check reads a service of this fleet, and "${check.target}" is not one`,
    );
  }
  const platform = cfg.platform;
  let stateDir: string | undefined;
  if (platform.kind === "local") {
    if (!place.projectDir || !place.stack) {
      throw new Error(
        `${field}: a ${check.kind} check on the local platform reads the machine's files; the monitor Lambda cannot, run it with scripts/run-checks.ts`,
      );
    }
    stateDir = localStateDir(cfg, place.projectDir, place.stack);
  } else if (!platform.apiKey) {
    throw new Error(
      `platform.apiKey: the monitor's ${check.kind} check "${check.name}" reads Render's API with it; set platform.apiKey: { secret: renderApiKey }`,
    );
  }
  const { timeoutMs: _t, headers: _h, ...rest } = check;
  const planned = {
    ...rest,
    url: "",
    ...checkSourceFields(check, {
      config: cfg,
      serviceId: "",
      localStateDir: stateDir,
      projectDir: place.projectDir ?? ".",
    }),
    timeoutMs: check.timeoutMs ?? cfg.gates.smoke!.timeoutMs,
    // A monitor run looks back over the window before it (docs/alarms.md) and does not wait on.
    ...(check.kind === "log" ? { watchSeconds: 0 } : {}),
  } as PlannedCheck;
  if (platform.kind === "render") planned.apiKey = slot(platform.apiKey!);
  return planned;
}

/**
 * The stack's smoke checks as a plan: URLs from the config, secrets as slots. Shared by the
 * monitor Lambda and `scripts/run-checks.ts` (the health-monitor workflow).
 */
export function checkPlan(cfg: StackConfig, severity: string, place: PlanPlace = {}): MonitorPlan {
  const smoke = cfg.gates.smoke;
  if (!smoke) throw new Error("gates.smoke: there are no smoke checks to run; declare gates.smoke.checks");
  const urls = targetBaseUrls(cfg);
  return {
    fleet: cfg.fleet.name,
    environment: cfg.fleet.environment,
    severity,
    retries: smoke.retries,
    ...(cfg.platform.kind === "render" ? { renderOwnerId: cfg.platform.ownerId } : {}),
    checks: smoke.checks.map((c, i) => {
      if (!checkNeedsUrl(c)) return platformCheck(cfg, c, i, place);
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
