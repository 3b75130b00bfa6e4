/**
 * The backup gate against a real PostgreSQL: pg_dump through the provider code and through
 * the real engine (inline program), the rule for when a dump is taken, retention, and a
 * failing dump that fails `pulumi up` without leaking the connection's password.
 */
import * as assert from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { Backup, dumpFileName, pruneDumps, takeBackup } from "../../providers/backup/backup";
import { findPgDump, libpqEnv, scrub } from "../../providers/backup/pgdump";
import { backupRevision } from "../../providers/backup/revision";
import { readRecords } from "../../lib/ledger/file";
import type { FleetConfig } from "../../config/schema";
import { engineBinDir, engineEnv, readStateFile, tempDir } from "../support/engine";
import { startPostgres, TestPostgres } from "../support/postgres";

const PASSWORD = "s3cret-Pw-backup-91f";

describe("backup gate: pg_dump before a deploy", function () {
  this.timeout(180_000);
  let pg: TestPostgres;
  let dbUrl: string;
  let dir: string;

  before(async () => {
    pg = await startPostgres();
    dbUrl = await pg.createDatabase("app");
    await pg.query(
      "create table users (id int primary key, email text); insert into users select g, 'u' || g from generate_series(1, 500) g",
      "app",
    );
    dir = tempDir("backup");
  });
  after(async () => {
    await pg?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  describe("rule and helpers", () => {
    const fleet = {
      name: "f",
      environment: "dev",
      floatingTags: [],
      externalTargets: [],
      services: [
        { name: "api", type: "web", image: "ghcr.io/o/api:1.0.0", env: { A: "1" }, instances: 1, wave: 0 },
        { name: "web", type: "web", image: "ghcr.io/o/web:1.0.0", env: {}, instances: 1, wave: 0 },
      ],
      envSets: [{ name: "db", services: ["api"], vars: { DATABASE_URL: { secret: "databaseUrl" } } }],
    } as unknown as FleetConfig;
    const withImage = (svc: string, image: string) =>
      ({
        ...fleet,
        services: fleet.services.map((s) => (s.name === svc ? { ...s, image } : s)),
      }) as FleetConfig;

    it("re-dumps only when a listed service changes image or env", () => {
      const base = backupRevision(fleet, ["api"]);
      assert.strictEqual(backupRevision(withImage("web", "ghcr.io/o/web:1.0.1"), ["api"]), base);
      assert.notStrictEqual(backupRevision(withImage("api", "ghcr.io/o/api:1.0.1"), ["api"]), base);
      const envChanged = {
        ...fleet,
        envSets: [{ ...fleet.envSets[0], vars: { DATABASE_URL: { secret: "other" } } }],
      } as FleetConfig;
      assert.notStrictEqual(backupRevision(envChanged, ["api"]), base);
    });

    it("without a service list, every fleet revision change re-dumps", () => {
      assert.notStrictEqual(backupRevision(withImage("web", "ghcr.io/o/web:1.0.1")), backupRevision(fleet));
    });

    it("passes the connection through libpq variables and scrubs the password", () => {
      const env = libpqEnv(`postgres://app%40x:${PASSWORD}@db.example:6543/main?sslmode=require`);
      assert.deepStrictEqual(env, {
        PGHOST: "db.example",
        PGPORT: "6543",
        PGUSER: "app@x",
        PGPASSWORD: PASSWORD,
        PGDATABASE: "main",
        PGSSLMODE: "require",
      });
      const url = `postgres://u:${PASSWORD}@h/d`;
      assert.strictEqual(
        scrub(`failed for ${url} with ${PASSWORD}`, url),
        "failed for [secret] with [secret]",
      );
      assert.throws(() => libpqEnv("host=x password=y"), /not a postgres:\/\/ URI \(the value is not shown/);
    });

    it("keeps the newest dumps of the stack and leaves other stacks' files", () => {
      const d = path.join(dir, "prune");
      fs.mkdirSync(d);
      for (let i = 0; i < 4; i++)
        fs.writeFileSync(
          path.join(d, dumpFileName("dev", "r", new Date(Date.UTC(2026, 0, 1, 0, 0, i)))),
          "x",
        );
      fs.writeFileSync(path.join(d, dumpFileName("prod", "r", new Date(Date.UTC(2020, 0, 1)))), "x");
      const removed = pruneDumps(d, "dev", 2);
      assert.deepStrictEqual(removed, ["dev-20260101T000000Z-r.dump", "dev-20260101T000001Z-r.dump"]);
      assert.deepStrictEqual(fs.readdirSync(d).sort(), [
        "dev-20260101T000002Z-r.dump",
        "dev-20260101T000003Z-r.dump",
        "prod-20200101T000000Z-r.dump",
      ]);
    });
  });

  it("dumps a real database in custom format that pg_restore can list", async () => {
    const out = await takeBackup({
      engine: "postgres",
      connection: dbUrl,
      directory: path.join(dir, "direct"),
      stack: "dev",
      revision: "abc",
      timeoutSeconds: 60,
      keep: 3,
    });
    assert.ok(fs.existsSync(out.path));
    assert.strictEqual(fs.statSync(out.path).size, out.sizeBytes);
    // A dump holds every row: readable by its owner only, whatever the umask.
    assert.strictEqual(fs.statSync(out.path).mode & 0o777, 0o600);
    assert.ok(out.sizeBytes > 1000, `dump is only ${out.sizeBytes} bytes`);
    const restore = path.join(path.dirname(findPgDump()), "pg_restore");
    const listing = execFileSync(restore, ["--list", out.path], { encoding: "utf8" });
    assert.match(listing, /TABLE DATA public users/);
  });

  it("fails with pg_dump's message, records the failure and never shows the password", async () => {
    const ledger = path.join(dir, "fail-ledger.jsonl");
    const bad = `postgres://fleetgate:${PASSWORD}@127.0.0.1:${pg.port}/no_such_db`;
    await assert.rejects(
      takeBackup({
        engine: "postgres",
        connection: bad,
        directory: path.join(dir, "fail"),
        stack: "dev",
        revision: "abc",
        timeoutSeconds: 60,
        keep: 3,
        evidence: {
          file: ledger,
          stack: "dev",
          fleet: "f",
          environment: "dev",
          revision: "abc",
          images: { api: "x:1" },
          webhooks: [],
          notifyTimeoutMs: 1000,
        },
      }),
      (err: Error) => {
        assert.match(err.message, /backup: pg_dump exited with code 1/);
        assert.match(err.message, /database "no_such_db" does not exist/);
        assert.match(err.message, /Nothing was deployed/);
        assert.ok(!err.message.includes(PASSWORD));
        return true;
      },
    );
    assert.deepStrictEqual(fs.readdirSync(path.join(dir, "fail")), [], "a partial dump was left behind");
    const { records } = readRecords(ledger);
    assert.strictEqual(records.length, 1);
    assert.strictEqual(records[0].kind === "deploy" && records[0].failure?.gate, "backup");
    assert.ok(!fs.readFileSync(ledger, "utf8").includes(PASSWORD));
  });

  describe("through the engine", () => {
    let stack: Stack;
    let stateDir: string;
    let revision = "rev-1";
    let connection = "";
    const dumps = () => path.join(stateDir, "dumps");

    before(async () => {
      if (!(process.env.PATH ?? "").split(path.delimiter).includes(engineBinDir())) {
        process.env.PATH = `${engineBinDir()}${path.delimiter}${process.env.PATH ?? ""}`;
      }
      stateDir = tempDir("backup-engine");
      // A password in the URI (trust auth ignores it) proves it never lands in the state.
      connection = dbUrl.replace("fleetgate@", `fleetgate:${PASSWORD}@`);
      const program = async () => {
        const b = new Backup("backup", {
          engine: "postgres",
          connection: pulumi.secret(connection),
          directory: dumps(),
          stack: "dev",
          revision,
          timeoutSeconds: 60,
          keep: 2,
        });
        return { path: b.path, sizeBytes: b.sizeBytes };
      };
      stack = await LocalWorkspace.createOrSelectStack(
        { stackName: "dev", projectName: "deploy-backup", program },
        { envVars: engineEnv(stateDir) },
      );
    });
    after(async () => {
      await stack?.destroy().catch(() => undefined);
      if (stateDir) fs.rmSync(stateDir, { recursive: true, force: true });
    });

    it("outputs the dump's path and size and keeps the connection encrypted", async () => {
      const res = await stack.up();
      const file = res.outputs.path.value as string;
      assert.ok(file.startsWith(dumps()) && file.endsWith("-rev-1.dump"), file);
      assert.strictEqual(res.outputs.sizeBytes.value, fs.statSync(file).size);
      const state = readStateFile(stateDir, "deploy-backup", "dev");
      assert.ok(state.includes("pulumi-nodejs:dynamic/checks:Backup"));
      assert.ok(!state.includes(PASSWORD), "the password appears in plain text in the state");
    });

    it("takes no new dump when the revision is unchanged, one when it changes", async () => {
      const again = await stack.up();
      assert.strictEqual(fs.readdirSync(dumps()).length, 1);
      assert.strictEqual(again.summary.resourceChanges?.update ?? 0, 0);
      revision = "rev-2";
      const res = await stack.up();
      assert.match(res.outputs.path.value, /-rev-2\.dump$/);
      assert.strictEqual(fs.readdirSync(dumps()).length, 2);
    });

    it("refresh shows a removed dump, and the next up takes a new one", async () => {
      const before = fs.readdirSync(dumps()).sort();
      fs.rmSync(path.join(dumps(), before[before.length - 1]));
      const refreshed = await stack.refresh();
      assert.strictEqual(refreshed.summary.resourceChanges?.update, 1);
      const res = await stack.up();
      assert.ok(fs.existsSync(res.outputs.path.value));
      assert.strictEqual(res.outputs.sizeBytes.value, fs.statSync(res.outputs.path.value).size);
    });

    it("fails the update when pg_dump fails", async () => {
      revision = "rev-3";
      connection = `postgres://fleetgate:${PASSWORD}@127.0.0.1:${pg.port}/missing_db`;
      await assert.rejects(
        stack.up(),
        (err: Error & { commandResult?: { stdout: string; stderr: string } }) => {
          const output = `${err.commandResult?.stdout}\n${err.commandResult?.stderr}`;
          assert.match(output, /backup: pg_dump exited with code 1/);
          assert.match(output, /database "missing_db" does not exist/);
          assert.ok(!output.includes(PASSWORD));
          return true;
        },
      );
      assert.strictEqual(fs.readdirSync(dumps()).filter((f) => f.includes("rev-3")).length, 0);
    });
  });
});
