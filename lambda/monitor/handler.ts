/**
 * The scheduled health monitor: runs the deploy gate's smoke checks through the shared check
 * library and publishes the result table when any check fails. AWS access is injected, so the
 * same code runs in Lambda and in tests against loopback servers.
 */
import { formatResultTable, runChecks, summarizeResults } from "../../lib/checks/run";
import type { CheckResult } from "../../lib/checks/types";
import { MonitorRecord, monitorRecord } from "../../lib/ledger/record";
import { MonitorPlan, resolvePlan, secretKeysOf } from "./plan";
import { withRenderServiceIds } from "./renderIds";

export interface Notification {
  /** SNS subjects are at most 100 ASCII characters. */
  subject: string;
  message: string;
}

export interface MonitorDeps {
  /** Values of the given slot keys (`slotKey`: config keys, `generated:<name>`; empty: nothing to load). */
  loadSecrets(keys: string[]): Promise<Record<string, string>>;
  publish(notification: Notification): Promise<void>;
  /** Appends the run's monitor record to the evidence ledger (absent: no ledger configured). */
  record?: (record: MonitorRecord) => Promise<void>;
  /** Extra CA to trust (tests with self-signed servers). */
  ca?: string;
  now?: () => Date;
}

export interface MonitorReport {
  ok: boolean;
  summary: string;
  results: CheckResult[];
  /** Whether a notification was published. */
  notified: boolean;
}

function subjectOf(plan: MonitorPlan, summary: string): string {
  const subject = `[${plan.severity}] ${plan.fleet} ${plan.environment}: ${summary}`;
  // SNS refuses non-ASCII or control characters and subjects over 100 characters.
  const ascii = subject.replace(/[^\x20-\x7e]/g, "?");
  return ascii.length <= 100 ? ascii : `${ascii.slice(0, 97)}...`;
}

/**
 * One monitor run, recorded in the evidence ledger when `deps.record` is set (the error-budget
 * freeze counts these runs). A ledger that cannot be written fails the run after notifying.
 */
export async function runMonitor(plan: MonitorPlan, deps: MonitorDeps): Promise<MonitorReport> {
  const report = await checkAndNotify(plan, deps);
  if (deps.record && plan.stack) {
    const base = { stack: plan.stack, environment: plan.environment, fleet: plan.fleet };
    // A run that could not check anything is not an available fleet: record the report's verdict.
    await deps.record({ ...monitorRecord(base, report.results), ok: report.ok });
  }
  return report;
}

async function checkAndNotify(plan: MonitorPlan, deps: MonitorDeps): Promise<MonitorReport> {
  const now = (deps.now ?? (() => new Date()))().toISOString();
  let results: CheckResult[];
  try {
    const secrets = await deps.loadSecrets(secretKeysOf(plan));
    const checks = await withRenderServiceIds(resolvePlan(plan, secrets), plan.renderOwnerId);
    results = await runChecks(checks, { retries: plan.retries, ca: deps.ca });
  } catch (err) {
    // The monitor itself is broken (no secrets, bad plan): that is a failure to report too.
    const summary = "health monitor could not run its checks";
    await deps.publish({
      subject: subjectOf(plan, summary),
      message: `${summary} at ${now}: ${(err as Error).message}`,
    });
    return { ok: false, summary, results: [], notified: true };
  }
  const summary = summarizeResults(results);
  const ok = results.every((r) => r.status === "pass");
  if (!ok) {
    await deps.publish({
      subject: subjectOf(plan, summary),
      message: [
        `fleetgate health monitor, ${plan.fleet} (${plan.environment}), ${now}`,
        summary,
        "",
        formatResultTable(results),
      ].join("\n"),
    });
  }
  return { ok, summary, results, notified: !ok };
}
