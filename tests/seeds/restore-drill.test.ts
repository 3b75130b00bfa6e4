/**
 * Restore drills against a real PostgreSQL (started here) with real pg_dump/pg_restore: a dump
 * restores into a scratch database that matches the source and is dropped afterwards; a broken
 * dump or one that lacks what the source has fails; the scheduled drill dumps, proves, prunes by
 * age (only after a successful drill) and records each run.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { pgDump } from "../../providers/backup/pgdump";
import { restoreDrill } from "../../providers/backup/restore";
import { restoreDrillProvider } from "../../providers/backup/restoreDrill";
import { scheduledDrill } from "../../providers/backup/restoreSchedule";
import { runStackDrill } from "../../scripts/restore-drill";
import { tempDir } from "../support/engine";
import { startPostgres, TestPostgres } from "../support/postgres";

describe("restore drill (PostgreSQL)", function () {
  this.timeout(120_000);
  let pg: TestPostgres;
  let source: string;
  let dir: string;
  const PASSWORD = "pw-drill-5d2e";

  const scratchDatabases = async () =>
    (await pg.query("select datname from pg_database where datname like 'fleetgate_drill_%'")).map(
      (r) => r.datname,
    );

  before(async () => {
    pg = await startPostgres();
    // Trust auth ignores the password; it is there to prove no message shows it.
    source = (await pg.createDatabase("app")).replace("fleetgate@", `fleetgate:${PASSWORD}@`);
    await pg.query(
      `create table users (id int primary key, email text);
       insert into users select g, 'u' || g || '@example.com' from generate_series(1, 500) g;
       create table jobs (id int, status text);
       insert into jobs select g, 'done' from generate_series(1, 40) g;
       create view active_users as select * from users;`,
      "app",
    );
    dir = tempDir("restore-drill");
  });
  after(async () => {
    await pg?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const inputs = (dumpPath: string) => ({
    source,
    dumpPath,
    criticalTables: ["users", "jobs"],
    rowTolerancePercent: 0,
    timeoutSeconds: 60,
  });

  it("restores a dump into a scratch database that matches the source, then drops it", async () => {
    const dump = path.join(dir, "ok.dump");
    await pgDump(source, dump, 60_000);
    const result = await restoreDrill(inputs(dump));
    assert.deepStrictEqual(result.problems, []);
    assert.strictEqual(result.outcome, "restored");
    assert.deepStrictEqual(result.restored?.rowCounts, { "public.users": 500, "public.jobs": 40 });
    assert.deepStrictEqual(result.restored?.views, ["public.active_users"]);
    assert.match(result.scratchDatabase, /^fleetgate_drill_\d{14}_[a-z0-9]+$/);
    assert.deepStrictEqual(await scratchDatabases(), []);
  });

  it("fails a dump that lacks a table and rows the source has now", async () => {
    const dump = path.join(dir, "old.dump");
    await pgDump(source, dump, 60_000);
    await pg.query(
      "create table invoices (id int); insert into jobs select g, 'new' from generate_series(41, 50) g;",
      "app",
    );
    try {
      const result = await restoreDrill(inputs(dump));
      assert.strictEqual(result.outcome, "failed");
      assert.deepStrictEqual(result.problems, [
        "tables missing from the restore: public.invoices",
        "public.jobs: 40 rows restored, the source has 50",
      ]);
      // A tolerance absorbs the writes that arrive between dump and comparison, not a lost table.
      const tolerant = await restoreDrill({ ...inputs(dump), rowTolerancePercent: 25 });
      assert.deepStrictEqual(tolerant.problems, ["tables missing from the restore: public.invoices"]);
    } finally {
      await pg.query("drop table invoices; delete from jobs where id > 40;", "app");
    }
    assert.deepStrictEqual(await scratchDatabases(), []);
  });

  it("fails a dump that does not restore, without showing the password, and fails the gate", async () => {
    const broken = path.join(dir, "broken.dump");
    await pgDump(source, broken, 60_000);
    const bytes = fs.readFileSync(broken);
    fs.writeFileSync(broken, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const result = await restoreDrill(inputs(broken));
    assert.strictEqual(result.outcome, "failed");
    assert.match(result.problems[0], /^the dump does not restore: pg_restore exited with code 1/);
    assert.ok(!JSON.stringify(result).includes(PASSWORD));
    assert.deepStrictEqual(await scratchDatabases(), []);
    await assert.rejects(
      restoreDrillProvider.create!(inputs(broken)),
      (err: Error) =>
        /restore drill failed for .*broken\.dump/.test(err.message) &&
        /Nothing was deployed/.test(err.message) &&
        !err.message.includes(PASSWORD),
    );
  });

  it("scheduled drill: dumps, restores, prunes dumps older than maxAgeDays and records the run", async () => {
    const backups = path.join(dir, "backups");
    fs.mkdirSync(backups);
    const now = new Date("2026-11-29T02:00:00Z");
    const old = "seeds-20261101T020000Z-r1.dump";
    const recent = "seeds-20261125T020000Z-r2.dump";
    const otherStack = "prod-20261001T020000Z-r0.dump";
    for (const f of [old, recent, otherStack]) fs.writeFileSync(path.join(backups, f), "x");
    const base = {
      source,
      directory: backups,
      stack: "seeds",
      criticalTables: ["users"],
      rowTolerancePercent: 0,
      timeoutSeconds: 60,
      maxAgeDays: 14,
      now,
    };
    const { record } = await scheduledDrill(base);
    assert.strictEqual(record.outcome, "restored");
    assert.deepStrictEqual(record.pruned, [old]);
    assert.deepStrictEqual(fs.readdirSync(backups).sort(), [
      otherStack,
      "seeds-20261125T020000Z-r2.dump",
      "seeds-20261129T020000Z-drill.dump",
      "seeds-drills.jsonl",
    ]);
    const lines = fs.readFileSync(path.join(backups, "seeds-drills.jsonl"), "utf8").trim().split("\n");
    assert.strictEqual(JSON.parse(lines[0]).outcome, "restored");

    // A drill that fails removes nothing, however old the dumps are.
    const failed = await scheduledDrill({
      ...base,
      scratchServer: source.replace(/:(\d+)\//, ":1/"),
      now: new Date("2027-06-01T00:00:00Z"),
    });
    assert.strictEqual(failed.record.outcome, "failed");
    assert.match(failed.record.problems[0], /^cannot create the scratch database/);
    assert.ok(!JSON.stringify(failed.record).includes(PASSWORD));
    assert.deepStrictEqual(failed.record.pruned, []);
    assert.strictEqual(fs.readdirSync(backups).filter((f) => f.startsWith("seeds-2026")).length, 2);
  });

  it("scripts/restore-drill.ts runs a stack's drill from its config, the URL from the environment", async () => {
    const project = path.join(dir, "project");
    fs.mkdirSync(project);
    const stackYaml = (drill: string) =>
      [
        "config:",
        "  fleetgate:platform: { kind: local }",
        "  fleetgate:fleet:",
        "    name: drills",
        "    environment: dev",
        "    services:",
        "      - { name: api, type: web, image: acme/api:1.0.0, healthCheckPath: /health, local: { command: [node, api.js], port: 4200 } }",
        "  fleetgate:gates:",
        "    integrity: { engine: postgres, connection: { secret: drillDatabaseUrl }, criticalTables: [users] }",
        `    backup: { keep: 5${drill} }`,
        "",
      ].join("\n");
    fs.writeFileSync(
      path.join(project, "Pulumi.drills.yaml"),
      stackYaml(", restoreDrill: { maxAgeDays: 7 }"),
    );
    process.env.FLEETGATE_SECRET_DRILL_DATABASE_URL = source;
    try {
      const record = await runStackDrill("drills", project);
      assert.strictEqual(record.outcome, "restored", record.problems.join("; "));
      assert.ok(record.dump.startsWith(path.join(project, ".fleetgate", "backups", "drills", "drills-")));
      fs.writeFileSync(path.join(project, "Pulumi.drills.yaml"), stackYaml(""));
      await assert.rejects(runStackDrill("drills", project), /gates\.backup\.restoreDrill is not set/);
    } finally {
      delete process.env.FLEETGATE_SECRET_DRILL_DATABASE_URL;
    }
  });
});
