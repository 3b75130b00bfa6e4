/**
 * Runs smoke checks: all at once, each within its own timeout, transient connection errors
 * retried a bounded number of times, failed assertions never retried. The deploy gate and the
 * health monitor both run checks through here.
 */
import { checkContext, CheckKind } from "./context";
import { isTransient, reasonOf } from "./failure";
import { apiKeyCheck } from "./kinds/apiKey";
import { htmlDocumentCheck } from "./kinds/html";
import { httpStatusCheck } from "./kinds/http";
import { jsonFieldCheck } from "./kinds/json";
import { jwksCheck } from "./kinds/jwks";
import { livenessCheck } from "./kinds/liveness";
import { logCheck } from "./kinds/log";
import { mcpToolsCheck } from "./kinds/mcp";
import { requestIdCheck } from "./kinds/requestId";
import { webhookSignatureCheck } from "./kinds/webhook";
import type { CheckResult, ResolvedCheck, RunOptions } from "./types";
import { textTable } from "../text/table";

export const CHECK_KINDS: Record<ResolvedCheck["kind"], CheckKind> = {
  http: httpStatusCheck,
  json: jsonFieldCheck,
  html: htmlDocumentCheck,
  apiKey: apiKeyCheck,
  mcp: mcpToolsCheck,
  webhook: webhookSignatureCheck,
  jwks: jwksCheck,
  requestId: requestIdCheck,
  log: logCheck,
  liveness: livenessCheck,
};

/** Pause before retry `n` (1-based): short, so a retry still fits in a check's timeout. */
const retryDelayMs = (n: number) => 100 * 2 ** (n - 1);

async function runOne(check: ResolvedCheck, opts: RunOptions): Promise<CheckResult> {
  const base = { check: check.name, target: check.target, kind: check.kind };
  const kind = CHECK_KINDS[check.kind];
  if (!kind) {
    const known = Object.keys(CHECK_KINDS).join(", ");
    return {
      ...base,
      status: "fail",
      latencyMs: 0,
      reason: `unknown check kind "${check.kind}" (known: ${known})`,
    };
  }
  const started = Date.now();
  const deadline = started + check.timeoutMs;
  for (let attempt = 0; ; attempt++) {
    const attemptStart = Date.now();
    try {
      const note = await kind(checkContext(check, deadline, opts.ca));
      const latencyMs = Date.now() - attemptStart;
      if (check.latencyBudgetMs !== undefined && latencyMs > check.latencyBudgetMs) {
        return {
          ...base,
          status: "fail",
          latencyMs,
          reason: `took ${latencyMs} ms, budget ${check.latencyBudgetMs} ms`,
        };
      }
      return { ...base, status: "pass", latencyMs, reason: note };
    } catch (err) {
      const latencyMs = Date.now() - attemptStart;
      const delay = retryDelayMs(attempt + 1);
      if (isTransient(err) && attempt < opts.retries && Date.now() + delay < deadline) {
        await new Promise((r) => setTimeout(r, delay));
        continue;
      }
      const tries = attempt > 0 ? ` (after ${attempt + 1} tries)` : "";
      // One line per result: driver messages can span lines and would break the table.
      const reason = reasonOf(err)
        .replace(/\s*\n\s*/g, " ")
        .trim();
      return { ...base, status: "fail", latencyMs, reason: `${reason}${tries}` };
    }
  }
}

/** Runs every check concurrently; the results keep the order of `checks`. */
export function runChecks(checks: ResolvedCheck[], opts: RunOptions): Promise<CheckResult[]> {
  return Promise.all(checks.map((c) => runOne(c, opts)));
}

/** A plain-text table of results (check, target, status, latency, reason) for outputs and errors. */
export function formatResultTable(results: CheckResult[]): string {
  const rows = [
    ["CHECK", "TARGET", "STATUS", "LATENCY", "REASON"],
    ...results.map((r) => [r.check, r.target, r.status.toUpperCase(), `${r.latencyMs} ms`, r.reason]),
  ];
  return textTable(rows);
}

/** One line: how many checks passed, and which failed. */
export function summarizeResults(results: CheckResult[]): string {
  const failed = results.filter((r) => r.status === "fail");
  if (failed.length === 0) return `${results.length}/${results.length} checks passed`;
  return `${failed.length} of ${results.length} checks failed: ${failed.map((r) => r.check).join(", ")}`;
}
