/**
 * The custom SQL checks of the integrity verify (config/integrity.ts `sql`, docs/sql-checks.md):
 * runs them after the deploy and turns failures into the verify's error text. A database that
 * cannot be reached fails closed, with the connection string redacted.
 */
import { runSqlChecks } from "./db/sql";
import { formatSqlResults, SqlCheck, SqlCheckResult } from "./db/sqlExpect";

export interface SqlGateOutcome {
  results: SqlCheckResult[];
  /** The failure text (summary and table) when a check failed; undefined when all passed. */
  failure?: string;
}

export async function runSqlGate(
  engine: "postgres" | "duckdb",
  connection: string,
  checks: SqlCheck[] | undefined,
  redact: (message: string) => string,
): Promise<SqlGateOutcome> {
  if (!checks?.length) return { results: [] };
  let results: SqlCheckResult[];
  try {
    results = await runSqlChecks(engine, connection, checks);
  } catch (err) {
    const e = err as { code?: string; message?: string };
    throw new Error(
      `integrity verify: cannot run the SQL checks on the ${engine} database ` +
        `(${redact(`${e.code ? `${e.code}: ` : ""}${e.message ?? String(err)}`)}). The update stops here: ` +
        "make gates.integrity.connection reachable from this machine, or remove gates.integrity.sql.",
    );
  }
  const failed = results.filter((r) => r.status === "fail");
  if (!failed.length) return { results };
  // Values may echo data: keep them to the table the user's own queries produce.
  const failure =
    `integrity verify: ${failed.length} of ${results.length} SQL checks failed: ${failed.map((r) => r.check).join(", ")}\n\n` +
    formatSqlResults(results).replace(/^/gm, "  ");
  return { results: results.map((r) => ({ ...r, reason: redact(r.reason) })), failure: redact(failure) };
}
