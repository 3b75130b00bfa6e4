/**
 * Rolling failed services back after a failed smoke suite. The platform code that does the
 * actual rollback (`providers/<platform>/rollback.ts`) is injected, so the gate does not depend
 * on a platform and tests can pass a fake.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { RollbackTarget } from "../../components/platform";
import type { CheckResult } from "../../lib/checks/types";

/**
 * What a platform's rollback reports: a one-line summary and, so the ledger can name what is
 * live afterwards, the image the service runs now (and the deploy, when the platform has ids).
 */
export interface RollbackResult {
  summary: string;
  /** The image reference live after the rollback. */
  liveImage?: string;
  /** The platform's id of the deploy live after the rollback. */
  liveDeploy?: string;
}

/**
 * The contract every platform's rollback module exports as `rollback`. Returning a plain string
 * (a summary only) is still accepted; the ledger then records the live image as unknown.
 */
export type RollbackFn = (
  target: RollbackTarget,
  config?: pulumi.dynamic.Config,
) => Promise<string | RollbackResult>;

/** Recorded as the live image of a service whose platform did not say what it rolled back to. */
export const UNKNOWN_LIVE_IMAGE = "unknown (rolled back; the platform did not report the live image)";

export interface RollbackOutcome {
  /** One line per service that was rolled back, from the platform. */
  rolledBack: string[];
  /** One line per service that could not be rolled back, and why. */
  problems: string[];
  /** Per service rolled back: the image live now (or UNKNOWN_LIVE_IMAGE). */
  liveImages: Record<string, string>;
}

/**
 * Rolls back, once each, the services whose checks failed. Targets without a rollback target
 * (external targets, workers without one) are reported, not silently skipped.
 */
export async function rollbackFailedServices(
  results: CheckResult[],
  targets: Record<string, RollbackTarget>,
  rollback: RollbackFn,
  config?: pulumi.dynamic.Config,
): Promise<RollbackOutcome> {
  const failed = [...new Set(results.filter((r) => r.status === "fail").map((r) => r.target))];
  const outcome: RollbackOutcome = { rolledBack: [], problems: [], liveImages: {} };
  await Promise.all(
    failed.map(async (name) => {
      const target = targets[name];
      if (!target) {
        outcome.problems.push(
          `${name}: not rolled back (not a service of this fleet, or no previous deploy known)`,
        );
        return;
      }
      try {
        const result = await rollback(target, config);
        const r: RollbackResult = typeof result === "string" ? { summary: result } : result;
        outcome.rolledBack.push(`${name}: ${r.summary}`);
        outcome.liveImages[name] = r.liveImage ?? UNKNOWN_LIVE_IMAGE;
      } catch (err) {
        outcome.problems.push(
          `${name}: rollback failed: ${err instanceof Error ? err.message : String(err)}`,
        );
      }
    }),
  );
  outcome.rolledBack.sort();
  outcome.problems.sort();
  return outcome;
}

/** The paragraph of the failure message that says what was (not) rolled back. */
export function describeRollback(outcome: RollbackOutcome): string {
  const lines: string[] = [];
  if (outcome.rolledBack.length)
    lines.push("Rolled back to the previous deploy:", ...outcome.rolledBack.map((l) => `  - ${l}`));
  if (outcome.problems.length) lines.push("Not rolled back:", ...outcome.problems.map((l) => `  - ${l}`));
  return lines.join("\n");
}
