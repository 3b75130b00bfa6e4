/**
 * Runs custom SQL checks (config/integrity.ts `sql`) against PostgreSQL or DuckDB. Each query
 * runs alone in a read-only transaction (PostgreSQL: `begin transaction read only` +
 * `set local statement_timeout`; DuckDB: the file opened in READ_ONLY mode and the query
 * interrupted at its timeout), so a check can never change data or hold the database for long.
 * A failed or slow query fails its check; a database that cannot be opened throws (fail closed).
 */
import { openReadOnly } from "./duckdb";
import { singleValue, showValue, SqlCheck, SqlCheckResult, unmetExpectation } from "./sqlExpect";

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, " ").trim();
}

function verdict(check: SqlCheck, rows: unknown[][], started: number): SqlCheckResult {
  const latencyMs = Date.now() - started;
  let value: unknown;
  try {
    value = singleValue(rows);
  } catch (err) {
    return { check: check.name, status: "fail", value: "", latencyMs, reason: (err as Error).message };
  }
  const unmet = unmetExpectation(check, value);
  return {
    check: check.name,
    status: unmet ? "fail" : "pass",
    value: showValue(value),
    latencyMs,
    reason: unmet ?? "as expected",
  };
}

function failed(check: SqlCheck, started: number, reason: string): SqlCheckResult {
  return { check: check.name, status: "fail", value: "", latencyMs: Date.now() - started, reason };
}

async function runPostgres(connection: string, checks: SqlCheck[]): Promise<SqlCheckResult[]> {
  const { Client } = require("pg") as typeof import("pg");
  const client = new Client({
    connectionString: connection,
    connectionTimeoutMillis: 10_000,
    application_name: "fleetgate-sql-check",
  });
  await client.connect();
  const results: SqlCheckResult[] = [];
  try {
    for (const check of checks) {
      const started = Date.now();
      try {
        await client.query("begin transaction read only");
        await client.query(`set local statement_timeout = ${Math.floor(check.timeoutMs)}`);
        const res = await client.query({ text: check.query, rowMode: "array" });
        results.push(verdict(check, res.rows as unknown[][], started));
      } catch (err) {
        const e = err as { code?: string; message?: string };
        const why =
          e.code === "57014"
            ? `exceeded its statement timeout of ${check.timeoutMs} ms`
            : e.code === "25006"
              ? `tried to write in a read-only transaction (${e.message}); SQL checks only read`
              : `${e.code ? `${e.code}: ` : ""}${e.message ?? String(err)}`;
        results.push(failed(check, started, oneLine(why)));
      } finally {
        await client.query("rollback").catch(() => undefined);
      }
    }
  } finally {
    await client.end().catch(() => undefined);
  }
  return results;
}

async function runDuckdb(file: string, checks: SqlCheck[]): Promise<SqlCheckResult[]> {
  const instance = await openReadOnly(file);
  const connection = await instance.connect();
  const results: SqlCheckResult[] = [];
  try {
    for (const check of checks) {
      const started = Date.now();
      let timedOut = false;
      // DuckDB has no statement timeout setting: interrupt the running query at the deadline.
      const timer = setTimeout(() => {
        timedOut = true;
        connection.interrupt();
      }, check.timeoutMs);
      try {
        const reader = await connection.runAndReadAll(check.query);
        results.push(verdict(check, reader.getRowsJS() as unknown[][], started));
      } catch (err) {
        const why = timedOut
          ? `exceeded its statement timeout of ${check.timeoutMs} ms`
          : oneLine((err as Error).message ?? String(err));
        results.push(failed(check, started, why));
      } finally {
        clearTimeout(timer);
      }
    }
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
  return results;
}

/** Runs every check in order; throws only when the database cannot be reached at all. */
export function runSqlChecks(
  engine: "postgres" | "duckdb",
  connection: string,
  checks: SqlCheck[],
): Promise<SqlCheckResult[]> {
  if (checks.length === 0) return Promise.resolve([]);
  return engine === "postgres" ? runPostgres(connection, checks) : runDuckdb(connection, checks);
}
