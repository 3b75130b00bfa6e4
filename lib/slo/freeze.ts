/**
 * The error-budget freeze (issue 10, feature 9): in the environments it covers, when the
 * monitor's recorded availability has spent the SLO's error budget, `pulumi up` refuses to
 * deploy new images (anything else, e.g. a config fix, still deploys) unless
 * `gates.errorBudget.override.reason` is set. Runs in the program before anything is registered.
 */
import { normalizeImageRef } from "../../config/image";
import type { StackConfig } from "../../config/schema";
import type { DeployRecord, LedgerRecord } from "../ledger/record";
import { BudgetStatus, errorBudget } from "./budget";

export interface FreezeDecision {
  /** True when the deploy must stop. */
  frozen: boolean;
  /** Set when the budget is spent but the override lets the deploy through. */
  overridden?: string;
  budget?: BudgetStatus;
  /** Services whose image differs from the last successful deploy ("svc: old -> new"). */
  newImages: string[];
  message?: string;
}

/** The last successful deploy of this stack, as recorded. */
export function lastDeploy(records: LedgerRecord[], stack: string, fleet: string): DeployRecord | undefined {
  return records
    .filter(
      (r): r is DeployRecord =>
        r.kind === "deploy" && r.outcome === "succeeded" && r.stack === stack && r.fleet === fleet,
    )
    .sort((a, b) => Date.parse(a.time) - Date.parse(b.time))
    .pop();
}

/** Services whose configured image differs from the last deployed one (all, when none is recorded). */
export function changedImages(cfg: StackConfig, last: DeployRecord | undefined): string[] {
  return cfg.fleet.services
    .filter(
      (s) => !last?.images[s.name] || normalizeImageRef(last.images[s.name]) !== normalizeImageRef(s.image),
    )
    .map((s) => `${s.name}: ${last?.images[s.name] ?? "(not deployed)"} -> ${s.image}`);
}

export function freezeDecision(
  cfg: StackConfig,
  records: LedgerRecord[],
  stack: string,
  now: Date,
): FreezeDecision {
  const eb = cfg.gates.errorBudget;
  if (!eb || !eb.environments.includes(cfg.fleet.environment)) return { frozen: false, newImages: [] };
  const budget = errorBudget(records, {
    fleet: cfg.fleet.name,
    environment: cfg.fleet.environment,
    sloPercent: eb.sloPercent,
    windowDays: eb.windowDays,
    minRuns: eb.minRuns,
    now,
  });
  const newImages = budget.exhausted ? changedImages(cfg, lastDeploy(records, stack, cfg.fleet.name)) : [];
  if (!budget.exhausted || newImages.length === 0) return { frozen: false, budget, newImages };
  const summary =
    `error-budget freeze on ${cfg.fleet.environment}: availability over the last ${eb.windowDays} days is ` +
    `${budget.availabilityPercent} % (${budget.failedRuns} of ${budget.runs} monitor runs failed) against an SLO of ` +
    `${eb.sloPercent} %, so ${budget.usedPercent} % of the error budget is spent.`;
  if (eb.override)
    return {
      frozen: false,
      overridden: eb.override.reason,
      budget,
      newImages,
      message: `${summary} Overridden: ${eb.override.reason}`,
    };
  return {
    frozen: true,
    budget,
    newImages,
    message:
      `${summary}\nNew images are refused until the budget recovers:\n${newImages.map((l) => `  - ${l}`).join("\n")}\n` +
      `Deploy without changing images (e.g. a config fix), or set gates.errorBudget.override.reason in ` +
      `Pulumi.<stack>.yaml to deploy anyway (the reason is written to the ledger).`,
  };
}

export class FreezeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FreezeError";
  }
}
