/**
 * The integrity gate's providers against a real PostgreSQL (started here) and a DuckDB file:
 * a healthy deploy passes, dropped tables and deleted rows are detected, allowed drops pass,
 * schema expectations are enforced and an unreachable database fails closed.
 */
import * as assert from "assert";
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { integritySnapshotProvider, integrityVerifyProvider } from "../../providers/checks/integrity";
import type { DbSnapshot } from "../../providers/checks/db/snapshot";
import { REPO_ROOT, tempDir } from "../support/engine";
import { freePort, startPostgres, TestPostgres } from "../support/postgres";

type Engine = "postgres" | "duckdb";

async function snapshot(engine: Engine, connection: string, criticalTables: string[]): Promise<DbSnapshot> {
  const res = await integritySnapshotProvider.create!({ engine, connection, criticalTables, revision: "r1" });
  return res.outs.snapshot as DbSnapshot;
}

async function verify(
  engine: Engine,
  connection: string,
  before: DbSnapshot,
  extra: { allowDrops?: string[]; expect?: Record<string, string[]> } = {},
) {
  return integrityVerifyProvider.create!({
    engine,
    connection,
    criticalTables: Object.keys(before.rowCounts),
    revision: "r1",
    before,
    allowDrops: extra.allowDrops ?? [],
    expect: extra.expect ?? {},
  });
}

describe("integrity: PostgreSQL", function () {
  this.timeout(60_000);
  let pg: TestPostgres;
  let db: string;
  let n = 0;

  before(async () => {
    pg = await startPostgres();
  });
  after(() => pg?.stop());

  beforeEach(async () => {
    const name = `app${++n}`;
    db = await pg.createDatabase(name);
    await pg.query(
      `create table users (id int primary key, email text);
       insert into users select g, 'u' || g || '@example.com' from generate_series(1, 1000) g;
       create table jobs (id int);
       insert into jobs select generate_series(1, 50);
       create schema audit;
       create table audit.events (id int);
       create view active_users as select * from users;
       alter table users enable row level security;`,
      name,
    );
  });

  it("records schema-qualified tables, views, RLS and exact counts of critical tables", async () => {
    const snap = await snapshot("postgres", db, ["users", "public.jobs"]);
    assert.deepStrictEqual(snap.tables, ["audit.events", "public.jobs", "public.users"]);
    assert.deepStrictEqual(snap.views, ["public.active_users"]);
    assert.deepStrictEqual(snap.rowLevelSecurity, ["public.users"]);
    assert.deepStrictEqual(snap.rowCounts, { "public.users": 1000, "public.jobs": 50 });
  });

  it("passes a healthy deploy (rows added, nothing lost)", async () => {
    const before = await snapshot("postgres", db, ["public.users"]);
    await pg.query(
      "insert into users values (5000, 'new@example.com'); create table extra (id int);",
      `app${n}`,
    );
    const res = await verify("postgres", db, before);
    assert.deepStrictEqual(res.outs.problems, []);
    assert.strictEqual(res.outs.after.rowCounts["public.users"], 1001);
  });

  it("detects deleted rows of a critical table and a dropped table", async () => {
    const before = await snapshot("postgres", db, ["public.users", "public.jobs"]);
    await pg.query("delete from users where id <= 10; drop table audit.events;", `app${n}`);
    await assert.rejects(verify("postgres", db, before), (e: Error) => {
      assert.match(e.message, /^DATA LOSS DETECTED/);
      assert.match(e.message, /missing tables: audit\.events/);
      assert.match(e.message, /public\.users: 1000 → 990 rows \(10 lost\)/);
      assert.doesNotMatch(e.message, /public\.jobs/);
      return true;
    });
  });

  it("allows drops listed for an expand/contract migration", async () => {
    const before = await snapshot("postgres", db, ["public.users", "public.jobs"]);
    await pg.query("drop table jobs; delete from users where id = 1;", `app${n}`);
    await assert.rejects(
      verify("postgres", db, before, { allowDrops: ["jobs"] }),
      /public\.users: 1000 → 999/,
    );
    const ok = await verify("postgres", db, before, { allowDrops: ["jobs", "public.users"] });
    assert.deepStrictEqual(ok.outs.problems, []);
  });

  it("fails when an expected table, view or row-level security is missing, naming it", async () => {
    const before = await snapshot("postgres", db, []);
    const expect = {
      tables: ["users", "billing.invoices"],
      views: ["active_users", "job_stats"],
      rowLevelSecurity: ["users", "jobs"],
    };
    await assert.rejects(verify("postgres", db, before, { expect }), (e: Error) => {
      assert.match(e.message, /expected tables missing: billing\.invoices/);
      assert.match(e.message, /expected views missing: public\.job_stats/);
      assert.match(e.message, /row-level security not enabled on: public\.jobs/);
      assert.doesNotMatch(e.message, /public\.users/);
      return true;
    });
  });

  it("fails closed on an unreachable database without showing the password", async () => {
    const port = await freePort();
    const url = `postgres://app:hunter2-secret@127.0.0.1:${port}/app`;
    await assert.rejects(snapshot("postgres", url, ["users"]), (e: Error) => {
      assert.match(e.message, /integrity snapshot: cannot read the postgres database \(ECONNREFUSED/);
      assert.match(e.message, /gates\.integrity\.connection/);
      assert.ok(!e.message.includes("hunter2-secret"));
      return true;
    });
  });
});

describe("integrity: DuckDB", function () {
  this.timeout(60_000);
  let dir: string;
  let file: string;

  async function exec(sql: string) {
    const duckdb = require("@duckdb/node-api") as typeof import("@duckdb/node-api");
    const instance = await duckdb.DuckDBInstance.create(file);
    const conn = await instance.connect();
    try {
      await conn.run(sql);
    } finally {
      conn.closeSync();
      instance.closeSync();
    }
  }

  beforeEach(async () => {
    dir = tempDir("duckdb");
    file = path.join(dir, "fleet.duckdb");
    await exec(
      `create table events as select range as id from range(2000);
       create schema ops; create table ops.runs (id int); insert into ops.runs values (1), (2);
       create view recent as select * from events where id > 1990;`,
    );
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("records tables, views and counts, and passes when nothing was lost", async () => {
    const before = await snapshot("duckdb", file, ["events", "ops.runs"]);
    assert.deepStrictEqual(before.tables, ["main.events", "ops.runs"]);
    assert.deepStrictEqual(before.views, ["main.recent"]);
    assert.deepStrictEqual(before.rowCounts, { "main.events": 2000, "ops.runs": 2 });
    const res = await verify("duckdb", file, before, { expect: { views: ["recent"] } });
    assert.deepStrictEqual(res.outs.problems, []);
  });

  it("detects deleted rows and a dropped table", async () => {
    const before = await snapshot("duckdb", file, ["events", "ops.runs"]);
    await exec("delete from events where id < 500; drop table ops.runs;");
    await assert.rejects(verify("duckdb", file, before), (e: Error) => {
      assert.match(e.message, /^DATA LOSS DETECTED/);
      assert.match(e.message, /missing tables: ops\.runs/);
      assert.match(e.message, /main\.events: 2000 → 1500 rows \(500 lost\)/);
      return true;
    });
  });

  /** Holds the file open read-write in another process (like a running worker) for `ms`. */
  async function holdOpen(ms: number): Promise<{ child: ChildProcess; exited: Promise<unknown> }> {
    const script = `
      const { DuckDBInstance } = require("@duckdb/node-api");
      DuckDBInstance.create(process.argv[1]).then((db) => {
        process.stdout.write("open\\n");
        setTimeout(() => { db.closeSync(); process.exit(0); }, Number(process.argv[2]));
      });`;
    const child = spawn(process.execPath, ["-e", script, file, String(ms)], {
      cwd: REPO_ROOT,
      stdio: ["ignore", "pipe", "inherit"],
    });
    const exited = new Promise((resolve) => child.once("exit", resolve));
    await new Promise<void>((resolve) => child.stdout!.once("data", () => resolve()));
    return { child, exited };
  }

  it("waits for a writer that releases the file soon, and fails closed on one that does not", async () => {
    const brief = await holdOpen(800);
    const snap = await snapshot("duckdb", file, ["events"]);
    assert.deepStrictEqual(snap.rowCounts, { "main.events": 2000 });
    await brief.exited;

    const stuck = await holdOpen(20_000);
    try {
      await assert.rejects(
        snapshot("duckdb", file, ["events"]),
        /integrity snapshot: cannot read the duckdb database \(.*lock/i,
      );
    } finally {
      stuck.child.kill();
      await stuck.exited;
    }
  });

  it("a misspelled or missing critical table fails the gate, naming the table", async () => {
    // Before a first deploy the table may not exist yet (its migration creates it)...
    const before = await snapshot("duckdb", file, ["events", "ops.runz", "users"]);
    await exec("create table users (id int)");
    const run = (criticalTables: string[]) =>
      integrityVerifyProvider.create!({
        engine: "duckdb",
        connection: file,
        criticalTables,
        revision: "r1",
        before,
        allowDrops: [],
        expect: {},
      });
    await assert.rejects(run(["events", "ops.runz", "users"]), (e: Error) => {
      // ...but one that exists neither before nor after the deploy is a wrong name.
      assert.match(e.message, /^gates\.integrity\.criticalTables: table "ops\.runz" does not exist/);
      assert.doesNotMatch(e.message, /table "main\.users"/, "created by the deploy: not missing");
      assert.match(e.message, /fix the name/);
      assert.match(e.message, /Tables found: main\.events, main\.users, ops\.runs/);
      return true;
    });
    assert.deepStrictEqual((await run(["events", "users"])).outs.problems, []);
  });

  it("says when the verify compares with a snapshot an earlier update took", async () => {
    const before = await snapshot("duckdb", file, ["events"]);
    const base = {
      engine: "duckdb" as const,
      connection: file,
      criticalTables: ["events"],
      revision: "r1",
      before,
      allowDrops: [],
      expect: {},
    };
    const first = (await integrityVerifyProvider.create!({ ...base, deployments: { a: "a:1" } })).outs;
    assert.match(first.baseline, /^compared with the pre-deploy snapshot of /);
    // A redeploy without a declared change (crash, rollback) re-runs the verify, not the snapshot.
    const next = { ...base, deployments: { a: "a:2" } };
    assert.ok((await integrityVerifyProvider.diff!("v", first, next)).changes);
    const stale = (await integrityVerifyProvider.update!("v", first, next)).outs;
    assert.match(stale.baseline, /^STALE BASELINE: compared with the snapshot of .*an earlier update took/);
    // The revision alone re-runs nothing.
    assert.ok(!(await integrityVerifyProvider.diff!("v", stale, { ...next, revision: "r2" })).changes);
  });

  it("fails closed on a missing database file", async () => {
    await assert.rejects(
      snapshot("duckdb", path.join(dir, "nope.duckdb"), []),
      /integrity snapshot: cannot read the duckdb database \(.*does not exist\)/,
    );
    assert.ok(!fs.existsSync(path.join(dir, "nope.duckdb")));
  });
});
