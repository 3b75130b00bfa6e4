/**
 * The seed practices inside `pulumi up` (real Pulumi CLI, inline program, one stack for the
 * whole sequence): the deploy announcement reaches the chat before the service changes; the
 * backup gate's restore drill proves the dump into a scratch PostgreSQL database; the `log`
 * check reads the service's real log file; the integrity verify runs a custom SQL check.
 * Sequence: up → a deploy that panics (smoke fails, ledger records it) → a migration short of the
 * declared version (SQL check fails, ledger records it) → the fix → refresh → up (no change) →
 * destroy. Afterwards it asserts the database, the log file, the ledger and the webhook's inbox.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as http from "http";
import { AddressInfo } from "net";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { Backup } from "../../providers/backup/backup";
import { RestoreDrill } from "../../providers/backup/restoreDrill";
import { IntegritySnapshot, IntegrityVerify } from "../../providers/checks/integrity";
import { SmokeSuite, SuiteCheck } from "../../providers/checks/smokeSuite";
import { DeployAnnouncement } from "../../providers/notify/announcement";
import type { LedgerContext } from "../../lib/ledger/context";
import { engineBinDir, engineEnv, readStateFile, tempDir } from "../support/engine";
import { startPostgres, TestPostgres } from "../support/postgres";

const PASSWORD = "pw-seeds-engine-77ab";

/** Stands in for the platform's deploy of a worker: runs its migration and (re)starts it, logging as the local platform does. */
const workerDeployProvider: pulumi.dynamic.ResourceProvider = {
  async create(inputs) {
    const fs = require("fs");
    const { Client } = require("pg");
    fs.appendFileSync(inputs.events, `deploy ${inputs.revision} ${Date.now()}\n`);
    const client = new Client({ connectionString: inputs.connection });
    await client.connect();
    await client.query(inputs.migration);
    await client.end();
    fs.appendFileSync(
      inputs.logFile,
      `\n--- fleetgate: start ${new Date().toISOString()}: node worker.js\n${inputs.logLines.join("\n")}\n`,
    );
    return { id: "worker", outs: inputs };
  },
  async update(_id, _olds, news) {
    return this.create!(news) as Promise<pulumi.dynamic.UpdateResult>;
  },
};

class WorkerDeploy extends pulumi.dynamic.Resource {
  constructor(
    name: string,
    props: Record<string, pulumi.Input<unknown>>,
    opts?: pulumi.CustomResourceOptions,
  ) {
    super(workerDeployProvider, name, props, opts, "test", "WorkerDeploy");
  }
}

interface Step {
  revision: string;
  migration: string;
  logLines: string[];
  expectVersion: number;
}

describe("engine: seed practices in pulumi up (local stack)", function () {
  this.timeout(300_000);
  let pg: TestPostgres;
  let dir: string;
  let stack: Stack;
  let hook: http.Server;
  const inbox: { at: number; body: { event: string; text: string; revision: string } }[] = [];
  let step: Step;
  const files = { log: "", events: "", ledger: "", backups: "" };

  const failureOf = (err: unknown) => {
    const e = err as { commandResult?: { stdout: string; stderr: string } };
    return `${e.commandResult?.stdout}\n${e.commandResult?.stderr}`;
  };
  const ledger = () =>
    fs.existsSync(files.ledger)
      ? fs
          .readFileSync(files.ledger, "utf8")
          .trim()
          .split("\n")
          .map((l) => JSON.parse(l))
      : [];
  const deploys = () =>
    fs
      .readFileSync(files.events, "utf8")
      .trim()
      .split("\n")
      .map((l) => l.split(" "));

  before(async () => {
    if (!(process.env.PATH ?? "").split(path.delimiter).includes(engineBinDir())) {
      process.env.PATH = `${engineBinDir()}${path.delimiter}${process.env.PATH ?? ""}`;
    }
    pg = await startPostgres();
    const url = (await pg.createDatabase("app")).replace("fleetgate@", `fleetgate:${PASSWORD}@`);
    hook = http.createServer((req, res) => {
      let body = "";
      req.on("data", (d) => (body += d));
      req.on("end", () => {
        inbox.push({ at: Date.now(), body: JSON.parse(body) });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => hook.listen(0, "127.0.0.1", r));
    const hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/chat`;
    dir = tempDir("seeds-engine");
    files.log = path.join(dir, "logs", "worker.log");
    files.events = path.join(dir, "deploys.txt");
    files.ledger = path.join(dir, "ledger.jsonl");
    files.backups = path.join(dir, "backups");
    fs.mkdirSync(path.dirname(files.log), { recursive: true });
    step = {
      revision: "r1",
      migration:
        "create table if not exists schema_migrations (version int); insert into schema_migrations values (1);" +
        "create table if not exists jobs (id int, status text); insert into jobs select g, 'done' from generate_series(1, 30) g;",
      logLines: ["booting", "worker ready"],
      expectVersion: 1,
    };

    const program = async () => {
      const connection = pulumi.secret(url);
      const images = { worker: `ghcr.io/acme/worker:1.0.${step.revision.slice(1)}` };
      const evidence: LedgerContext = {
        file: files.ledger,
        stack: "seeds",
        fleet: "seeds",
        environment: "test",
        revision: step.revision,
        images,
        webhooks: [],
        notifyTimeoutMs: 2000,
      };
      const announce = new DeployAnnouncement("announce", {
        stack: "seeds",
        fleet: "seeds",
        environment: "test",
        revision: step.revision,
        images,
        webhooks: [{ name: "chat", url: hookUrl, on: ["start"] }],
        timeoutMs: 3000,
      });
      const snapshot = new IntegritySnapshot("snapshot", {
        engine: "postgres",
        connection,
        criticalTables: ["jobs"],
        revision: step.revision,
      });
      const backup = new Backup("backup", {
        engine: "postgres",
        connection,
        directory: files.backups,
        stack: "seeds",
        revision: step.revision,
        timeoutSeconds: 60,
        keep: 3,
      });
      const drill = new RestoreDrill("restore-drill", {
        source: connection,
        dumpPath: backup.path,
        criticalTables: ["jobs"],
        rowTolerancePercent: 0,
        timeoutSeconds: 60,
        evidence,
      });
      const worker = new WorkerDeploy(
        "worker",
        {
          connection,
          revision: step.revision,
          migration: step.migration,
          logLines: step.logLines,
          logFile: files.log,
          events: files.events,
        },
        { dependsOn: [announce, snapshot, drill] },
      );
      const logCheck: SuiteCheck = {
        name: "worker-log",
        target: "worker",
        kind: "log",
        path: "/",
        url: "",
        timeoutMs: 2500,
        absent: ["panic:", "FATAL"],
        present: ["worker ready"],
        windowSeconds: 300,
        watchSeconds: 0,
        logSource: { kind: "file", path: files.log },
      };
      const smoke = new SmokeSuite(
        "smoke",
        {
          targets: ["worker"],
          revision: step.revision,
          // The suite re-runs on a deploy (docs/gates.md, "Triggers"): the stand-in deploys once per revision.
          deployments: { worker: `worker:${step.revision}` },
          checks: [logCheck],
          retries: 0,
          evidence,
        },
        async () => "no rollback in this test",
        { dependsOn: [worker] },
      );
      const verify = new IntegrityVerify(
        "verify",
        {
          engine: "postgres",
          connection,
          criticalTables: ["jobs"],
          revision: step.revision,
          before: snapshot.snapshot,
          evidence,
          sql: [
            {
              name: "schema-version",
              query: "select max(version) from schema_migrations",
              equals: step.expectVersion,
              timeoutMs: 2000,
            },
          ],
        },
        { dependsOn: [worker, smoke] },
      );
      return { smoke: smoke.results, sql: verify.sqlResults, drill: drill.outcome, announced: announce.sent };
    };
    stack = await LocalWorkspace.createOrSelectStack(
      { stackName: "seeds", projectName: "seeds-engine", program },
      { envVars: engineEnv(dir) },
    );
  });

  after(async () => {
    await pg?.stop();
    await new Promise((r) => hook?.close(r));
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("up: announces before the worker changes, proves the backup restores, passes the log and SQL checks", async () => {
    const res = await stack.up();
    assert.strictEqual(res.summary.result, "succeeded");
    assert.deepStrictEqual(res.outputs.announced.value, ["chat"]);
    assert.strictEqual(res.outputs.drill.value, "restored");
    const [smoke] = res.outputs.smoke.value;
    assert.deepStrictEqual([smoke.check, smoke.kind, smoke.status], ["worker-log", "log", "pass"]);
    assert.deepStrictEqual(
      res.outputs.sql.value.map((r: { check: string; status: string; value: string }) => [
        r.check,
        r.status,
        r.value,
      ]),
      [["schema-version", "pass", "1"]],
    );
    // The announcement arrived before the worker's deploy began.
    const [start] = inbox.filter((m) => m.body.revision === "r1");
    assert.strictEqual(start.body.event, "start");
    assert.match(start.body.text, /is deploying revision r1 \| services: worker/);
    assert.ok(start.at <= Number(deploys()[0][2]), "the announcement came after the deploy started");
    // The drill's scratch database is gone; the dump it proved is on disk.
    assert.deepStrictEqual(
      await pg.query("select datname from pg_database where datname like 'fleetgate_drill_%'"),
      [],
    );
    assert.strictEqual(fs.readdirSync(files.backups).filter((f) => f.endsWith(".dump")).length, 1);
    const state = readStateFile(dir, "seeds-engine", "seeds");
    assert.ok(state.includes("pulumi-nodejs:dynamic/checks:RestoreDrill"));
    assert.ok(!state.includes(PASSWORD), "the database password appears in plain text in the state");
    assert.ok(
      !state.includes(`127.0.0.1:${(hook.address() as AddressInfo).port}/chat`),
      "the webhook URL is in plain text",
    );
  });

  it("a deploy whose worker panics fails the smoke gate with the log line, and the ledger records it", async () => {
    step = {
      ...step,
      revision: "r2",
      migration: "select 1",
      logLines: ["booting", "panic: assignment to entry in nil map"],
    };
    await assert.rejects(stack.up(), (err) => {
      const out = failureOf(err);
      assert.match(out, /smoke suite failed: 1 of 1 checks failed: worker-log/);
      assert.match(out, /a log line matches \/panic:\/: "panic: assignment to entry in nil map"/);
      assert.ok(!out.includes(PASSWORD));
      return true;
    });
    const rec = ledger().pop();
    assert.deepStrictEqual([rec.outcome, rec.revision, rec.failure.gate], ["failed", "r2", "smoke"]);
    assert.deepStrictEqual(
      rec.checks.map((c: { check: string; status: string }) => [c.check, c.status]),
      [["worker-log", "fail"]],
    );
  });

  it("a migration short of the declared schema version fails the SQL check in the integrity verify", async () => {
    step = {
      revision: "r3",
      migration: "insert into schema_migrations values (2);",
      logLines: ["booting", "worker ready"],
      expectVersion: 3,
    };
    await assert.rejects(stack.up(), (err) => {
      const out = failureOf(err);
      assert.match(out, /1 of 1 SQL checks failed: schema-version/);
      assert.match(out, /schema-version\s+FAIL\s+2\s+.*got 2, expected 3/);
      return true;
    });
    const rec = ledger().pop();
    assert.deepStrictEqual([rec.outcome, rec.revision, rec.failure.gate], ["failed", "r3", "integrity"]);
  });

  it("the fix passes; refresh keeps the gates' records and the next up changes nothing; destroy", async () => {
    step = { ...step, revision: "r4", migration: "insert into schema_migrations values (3);" };
    const fixed = await stack.up();
    assert.strictEqual(fixed.summary.result, "succeeded");
    assert.deepStrictEqual(fixed.outputs.sql.value[0].value, "3");
    assert.deepStrictEqual(
      inbox.map((m) => m.body.revision),
      ["r1", "r2", "r3", "r4"],
      "one announcement per deploy attempt",
    );
    const [{ v }] = await pg.query("select max(version) as v from schema_migrations", "app");
    assert.strictEqual(v, 3);
    await stack.refresh();
    const again = await stack.up();
    const changes = again.summary.resourceChanges ?? {};
    assert.deepStrictEqual(
      Object.keys(changes).filter((k) => k !== "same"),
      [],
      `an up without changes changed ${JSON.stringify(changes)}`,
    );
    assert.strictEqual(inbox.length, 4, "an up that deploys nothing must not announce");
    const destroyed = await stack.destroy();
    assert.strictEqual(destroyed.summary.result, "succeeded");
    // The dumps outlive the stack (the backup gate never deletes evidence).
    assert.ok(fs.readdirSync(files.backups).some((f) => f.endsWith(".dump")));
  });
});
