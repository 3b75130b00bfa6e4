/**
 * What a custom SQL check expects of its one value, and the verdict on a value read. Pure
 * functions: the database adapters (./sql.ts) read the value, the integrity verify reports.
 */
import { textTable } from "../../../lib/text/table";

/** A custom SQL check as the verify provider receives it (config/integrity.ts `sql`). */
export interface SqlCheck {
  name: string;
  query: string;
  equals?: string | number | boolean;
  atLeast?: number;
  atMost?: number;
  timeoutMs: number;
}

export interface SqlCheckResult {
  check: string;
  status: "pass" | "fail";
  /** The value read, as text (truncated), or empty when the query failed. */
  value: string;
  latencyMs: number;
  reason: string;
}

/** The value as short text for the result table. */
export function showValue(value: unknown): string {
  if (value === null || value === undefined) return "NULL";
  const text = typeof value === "object" ? JSON.stringify(value) : String(value);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

function asNumber(value: unknown): number | undefined {
  if (typeof value === "number") return value;
  if (typeof value === "bigint") return Number(value);
  if (typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value)))
    return Number(value);
  return undefined;
}

function asBoolean(value: unknown): boolean | undefined {
  if (typeof value === "boolean") return value;
  if (value === "t" || value === "true") return true;
  if (value === "f" || value === "false") return false;
  return undefined;
}

/** Why `value` does not meet the check's expectation, or undefined when it does. */
export function unmetExpectation(check: SqlCheck, value: unknown): string | undefined {
  const shown = showValue(value);
  if (value === null || value === undefined) return "the query returned NULL";
  if (check.equals !== undefined) {
    const want = check.equals;
    const ok =
      typeof want === "number"
        ? asNumber(value) === want
        : typeof want === "boolean"
          ? asBoolean(value) === want
          : showValue(value) === want;
    return ok ? undefined : `got ${shown}, expected ${JSON.stringify(want)}`;
  }
  const n = asNumber(value);
  if (n === undefined) return `got ${shown}, which is not a number (the check has a bound)`;
  if (check.atLeast !== undefined && n < check.atLeast) return `got ${n}, expected at least ${check.atLeast}`;
  if (check.atMost !== undefined && n > check.atMost) return `got ${n}, expected at most ${check.atMost}`;
  return undefined;
}

/** One value from the rows (arrays, so same-named columns stay apart) a query returned; throws when the shape is not one row, one column. */
export function singleValue(rows: unknown[][]): unknown {
  if (rows.length !== 1) {
    throw new Error(`the query returned ${rows.length} rows; a SQL check must return exactly one row`);
  }
  if (rows[0].length !== 1) {
    throw new Error(
      `the query returned ${rows[0].length} columns; a SQL check must return exactly one column`,
    );
  }
  return rows[0][0];
}

/** A plain-text table of SQL check results for errors and outputs. */
export function formatSqlResults(results: SqlCheckResult[]): string {
  const rows = [
    ["SQL CHECK", "STATUS", "VALUE", "LATENCY", "REASON"],
    ...results.map((r) => [r.check, r.status.toUpperCase(), r.value, `${r.latencyMs} ms`, r.reason]),
  ];
  return textTable(rows);
}
