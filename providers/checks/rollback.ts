/**
 * Rolling failed services back after a failed smoke suite. The platform code that does the
 * actual rollback (`providers/<platform>/rollback.ts`) is injected, so the gate does not depend
 * on a platform and tests can pass a fake.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { RollbackTarget } from "../../components/platform";
import type { CheckResult } from "../../lib/checks/types";

/** The contract every platform's rollback module exports as `rollback`. */
export type RollbackFn = (target: RollbackTarget, config?: pulumi.dynamic.Config) => Promise<string>;

export interface RollbackOutcome {
  /** One line per service that was rolled back, from the platform. */
  rolledBack: string[];
  /** One line per service that could not be rolled back, and why. */
  problems: string[];
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
  const outcome: RollbackOutcome = { rolledBack: [], problems: [] };
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
        outcome.rolledBack.push(`${name}: ${await rollback(target, config)}`);
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
