/**
 * Error budget from the health monitor's recorded runs (ledger `monitor` records): the share
 * of runs in the SLO window where every check passed is the measured availability; the budget
 * is the failure share the SLO allows (0.1 % for 99.9 %), and `usedPercent` says how much of
 * it the failed runs have spent.
 */
import type { LedgerRecord, MonitorRecord } from "../ledger/record";

export interface BudgetScope {
  fleet: string;
  environment: string;
  sloPercent: number;
  windowDays: number;
  minRuns: number;
  now: Date;
}

export interface BudgetStatus {
  runs: number;
  failedRuns: number;
  /** Measured availability in percent (100 when there were no runs). */
  availabilityPercent: number;
  /** Share of the error budget spent, in percent (100 = all of it). */
  usedPercent: number;
  /** Spent, with at least `minRuns` runs of evidence. */
  exhausted: boolean;
  windowStart: string;
}

const round2 = (v: number) => Math.round(v * 100) / 100;

export function errorBudget(records: LedgerRecord[], scope: BudgetScope): BudgetStatus {
  const start = new Date(scope.now.getTime() - scope.windowDays * 86_400_000);
  const runs = records.filter(
    (r): r is MonitorRecord =>
      r.kind === "monitor" &&
      r.fleet === scope.fleet &&
      r.environment === scope.environment &&
      Date.parse(r.time) >= start.getTime() &&
      Date.parse(r.time) <= scope.now.getTime(),
  );
  const failedRuns = runs.filter((r) => !r.ok).length;
  const failureShare = runs.length ? failedRuns / runs.length : 0;
  const allowed = 1 - scope.sloPercent / 100;
  const usedPercent = round2((failureShare / allowed) * 100);
  return {
    runs: runs.length,
    failedRuns,
    availabilityPercent: round2((1 - failureShare) * 100),
    usedPercent,
    exhausted: runs.length >= scope.minRuns && usedPercent >= 100,
    windowStart: start.toISOString(),
  };
}
