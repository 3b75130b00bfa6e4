/**
 * Custom SQL checks of the integrity gate (gates.integrity.sql) against a real PostgreSQL
 * (started here) and a real DuckDB file: expected values and bounds, read-only transactions,
 * statement timeouts, shape errors, config validation, and the verify failing with a table.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { integrityConfig } from "../../config/integrity";
import { integritySnapshotProvider, integrityVerifyProvider } from "../../providers/checks/integrity";
import { runSqlChecks } from "../../providers/checks/db/sql";
import type { SqlCheck } from "../../providers/checks/db/sqlExpect";
import type { DbSnapshot } from "../../providers/checks/db/snapshot";
import { tempDir } from "../support/engine";
import { startPostgres, TestPostgres } from "../support/postgres";

const check = (name: string, query: string, expect: Partial<SqlCheck>): SqlCheck => ({
  name,
  query,
  timeoutMs: 2000,
  ...expect,
});

describe("sql checks: PostgreSQL", function () {
  this.timeout(60_000);
  let pg: TestPostgres;
  let url: string;

  before(async () => {
    pg = await startPostgres();
    url = await pg.createDatabase("app");
    await pg.query(
      `create table schema_migrations (version int);
       insert into schema_migrations values (1), (2), (3);
       create table jobs (id int, status text, updated_at timestamptz);
       insert into jobs values (1, 'done', now() - interval '2 hours'),
                               (2, 'processing', now() - interval '1 minute');`,
      "app",
    );
  });
  after(() => pg?.stop());

  it("passes equal values and values within bounds, fails the others with the value", async () => {
    const results = await runSqlChecks("postgres", url, [
      check("schema-version", "select max(version) from schema_migrations", { equals: 3 }),
      check(
        "stuck-jobs",
        "select count(*) from jobs where status = 'processing' and updated_at < now() - interval '10 minutes'",
        { atMost: 0 },
      ),
      check("version-text", "select 'v' || max(version) from schema_migrations", { equals: "v3" }),
      check("has-jobs", "select count(*) > 0 from jobs", { equals: true }),
      check("too-new", "select max(version) from schema_migrations", { equals: 4 }),
      check("few-jobs", "select count(*) from jobs", { atLeast: 5 }),
    ]);
    assert.deepStrictEqual(
      results.map((r) => [r.check, r.status]),
      [
        ["schema-version", "pass"],
        ["stuck-jobs", "pass"],
        ["version-text", "pass"],
        ["has-jobs", "pass"],
        ["too-new", "fail"],
        ["few-jobs", "fail"],
      ],
    );
    assert.strictEqual(results[4].reason, "got 3, expected 4");
    assert.strictEqual(results[5].reason, "got 2, expected at least 5");
  });

  it("runs in a read-only transaction: a writing query fails and changes nothing", async () => {
    const [r] = await runSqlChecks("postgres", url, [
      check("sneaky", "with d as (delete from jobs returning 1) select count(*) from d", { atMost: 0 }),
    ]);
    assert.strictEqual(r.status, "fail");
    assert.match(r.reason, /read-only transaction/);
    const [{ n }] = await pg.query("select count(*)::int as n from jobs", "app");
    assert.strictEqual(n, 2);
  });

  it("stops a slow query at its statement timeout and goes on with the next check", async () => {
    const started = Date.now();
    const results = await runSqlChecks("postgres", url, [
      check("slow", "select pg_sleep(5) is null", { equals: false, timeoutMs: 300 }),
      check("after-slow", "select 1", { equals: 1 }),
    ]);
    assert.ok(Date.now() - started < 4000, "the slow query was not cut at its timeout");
    assert.strictEqual(results[0].reason, "exceeded its statement timeout of 300 ms");
    assert.strictEqual(results[1].status, "pass");
  });

  it("fails a query that returns no row, two columns or NULL", async () => {
    const results = await runSqlChecks("postgres", url, [
      check("no-row", "select 1 where false", { equals: 1 }),
      check("two-cols", "select 1, 2", { equals: 1 }),
      check("null", "select max(id) from jobs where false", { atMost: 1 }),
    ]);
    assert.deepStrictEqual(
      results.map((r) => r.reason),
      [
        "the query returned 0 rows; a SQL check must return exactly one row",
        "the query returned 2 columns; a SQL check must return exactly one column",
        "the query returned NULL",
      ],
    );
  });

  it("fails the integrity verify with the SQL table, and records the results when all pass", async () => {
    const snap = await integritySnapshotProvider.create!({
      engine: "postgres",
      connection: url,
      criticalTables: ["jobs"],
      revision: "r1",
    });
    const before = snap.outs.snapshot as DbSnapshot;
    const base = { engine: "postgres", connection: url, criticalTables: ["jobs"], revision: "r1", before };
    const ok = await integrityVerifyProvider.create!({
      ...base,
      sql: [check("schema-version", "select max(version) from schema_migrations", { equals: 3 })],
    });
    assert.deepStrictEqual(
      ok.outs.sqlResults.map((r: { check: string; status: string; value: string }) => [
        r.check,
        r.status,
        r.value,
      ]),
      [["schema-version", "pass", "3"]],
    );
    await pg.query("update jobs set updated_at = now() - interval '1 hour' where id = 2", "app");
    await assert.rejects(
      integrityVerifyProvider.create!({
        ...base,
        sql: [
          check(
            "stuck-jobs",
            "select count(*) from jobs where status = 'processing' and updated_at < now() - interval '10 minutes'",
            { atMost: 0 },
          ),
        ],
      }),
      /1 of 1 SQL checks failed: stuck-jobs[\s\S]*stuck-jobs\s+FAIL\s+1\s+.*got 1, expected at most 0/,
    );
  });

  it("fails closed without showing the password when the database cannot be reached", async () => {
    const bad = url.replace("fleetgate@", "fleetgate:pw-sql-9c1@").replace(/:(\d+)\//, ":1/");
    await assert.rejects(runSqlGateFor(bad), (err: Error) => {
      assert.match(err.message, /cannot run the SQL checks on the postgres database/);
      assert.ok(!err.message.includes("pw-sql-9c1"));
      return true;
    });
  });
});

async function runSqlGateFor(connection: string) {
  const { runSqlGate } = await import("../../providers/checks/sqlGate");
  const { redactConnection } = await import("../../providers/checks/integrity");
  return runSqlGate("postgres", connection, [check("one", "select 1", { equals: 1 })], (m) =>
    redactConnection(m, connection),
  );
}

describe("sql checks: DuckDB", function () {
  this.timeout(60_000);
  let dir: string;
  let file: string;

  before(async () => {
    dir = tempDir("sql-duckdb");
    file = path.join(dir, "app.duckdb");
    const duckdb = require("@duckdb/node-api") as typeof import("@duckdb/node-api");
    const instance = await duckdb.DuckDBInstance.create(file);
    const conn = await instance.connect();
    await conn.run(
      "create table schema_migrations (version int); insert into schema_migrations values (1), (2);" +
        "create table ref_countries (code text); insert into ref_countries values ('DE'), ('FR'), ('NL');",
    );
    conn.closeSync();
    instance.closeSync();
  });
  after(() => dir && fs.rmSync(dir, { recursive: true, force: true }));

  it("checks values and bounds, refuses writes (read-only file) and interrupts slow queries", async () => {
    const results = await runSqlChecks("duckdb", file, [
      check("schema-version", "select max(version) from schema_migrations", { equals: 2 }),
      check("countries-checksum", "select string_agg(code, ',' order by code) from ref_countries", {
        equals: "DE,FR,NL",
      }),
      check("countries", "select count(*) from ref_countries", { atLeast: 4 }),
      check("write", "insert into ref_countries values ('XX') returning 1", { equals: 1 }),
      check("slow", "select count(*) from range(100000000000) a", { atLeast: 0, timeoutMs: 300 }),
    ]);
    assert.deepStrictEqual(
      results.map((r) => r.status),
      ["pass", "pass", "fail", "fail", "fail"],
    );
    assert.strictEqual(results[2].reason, "got 3, expected at least 4");
    assert.match(results[3].reason, /read-only/i);
    assert.strictEqual(results[4].reason, "exceeded its statement timeout of 300 ms");
  });
});

describe("sql checks: config", () => {
  const base = { engine: "postgres", connection: { secret: "databaseUrl" } };
  const issues = (sql: unknown[]) => {
    const r = integrityConfig.safeParse({ ...base, sql });
    return r.success ? [] : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
  };

  it("accepts a check with a value or a bound and defaults its timeout", () => {
    const r = integrityConfig.parse({ ...base, sql: [{ name: "ver", query: "select 1", equals: 1 }] });
    assert.strictEqual(r.sql[0].timeoutMs, 5000);
  });

  it("names the field and the fix for a check without expectation, with both, or repeated", () => {
    assert.deepStrictEqual(issues([{ name: "ver", query: "select 1" }]), [
      "sql.0: needs an expected value: equals, atLeast or atMost",
    ]);
    assert.deepStrictEqual(issues([{ name: "ver", query: "select 1", equals: 1, atMost: 2 }]), [
      "sql.0: takes either equals or a bound (atLeast/atMost), not both",
    ]);
    assert.deepStrictEqual(issues([{ name: "ver", query: "select 1; delete from t", equals: 1 }]), [
      "sql.0.query: must be a single statement (no ';' between statements)",
    ]);
    assert.deepStrictEqual(
      issues([
        { name: "ver", query: "select 1", equals: 1 },
        { name: "ver", query: "select 2", equals: 2 },
      ]),
      ['sql.1.name: sql check name "ver" is used twice; give every check its own name'],
    );
  });
});
