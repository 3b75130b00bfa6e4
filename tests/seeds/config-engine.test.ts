/**
 * The seed practices wired into the Fleet, run from a stack's YAML config through the real
 * Pulumi CLI and this project's index.ts (one local `test-*` stack for the whole sequence):
 * an SQL check in the integrity verify, a `log` check and a `liveness` check on a worker, the
 * restore drill of the backup gate (a real PostgreSQL) and the announcement to a loopback chat
 * webhook. Sequence: up (every gate passes) → a worker deploy that logs a panic (the log check
 * fails the update, the ledger says so) → the fix (passes) → destroy. Afterwards it asserts the
 * ledger, the webhook's inbox, the database, the dumps, the processes and the state.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as http from "http";
import { AddressInfo } from "net";
import * as path from "path";
import { parse, stringify } from "yaml";
import { engineEnv, readStateFile, REPO_ROOT, runPulumiAsync, tempDir } from "../support/engine";
import { startPostgres, TestPostgres } from "../support/postgres";
import { freeServicePort, processAlive } from "../local/support";

type Raw = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const PASSWORD = "pw-wire-engine-5c1d";
const READY = "booting|worker ready";
const PANIC = "booting|panic: assignment to entry in nil map";

/** The stack config as a team writes it in Pulumi.<stack>.yaml. */
function stackYaml(v: {
  stateDir: string;
  backups: string;
  apiPort: number;
  workerPort: number;
  workerLog: string;
}) {
  return `
fleetgate:platform:
  kind: local
  stateDir: ${v.stateDir}
fleetgate:fleet:
  name: wire
  environment: test
  services:
    - name: api
      type: web
      image: ghcr.io/wire-test/api:1.0.0
      healthCheckPath: /health
      env:
        SERVE: "1"
      local:
        command: [node, tests/seeds/fixtures/wire-svc.js]
        port: ${v.apiPort}
        startTimeoutSeconds: 5
    - name: worker
      type: worker
      image: ghcr.io/wire-test/worker:1.0.0
      env:
        LOG_LINES: "${v.workerLog}"
      local:
        command: [node, tests/seeds/fixtures/wire-svc.js]
        port: ${v.workerPort}
        startTimeoutSeconds: 5
fleetgate:gates:
  smoke:
    timeoutMs: 8000
    retries: 0
    rollbackOnFailure: false
    checks:
      - name: api-up
        kind: http
        target: api
        path: /health
      - name: worker-log
        kind: log
        target: worker
        absent: ["panic:"]
        present: ["worker ready"]
      - name: worker-alive
        kind: liveness
        target: worker
        minUptimeSeconds: 1
  integrity:
    engine: postgres
    connection: { secret: databaseUrl }
    criticalTables: [jobs]
    sql:
      - name: schema-version
        query: select max(version) from schema_migrations
        equals: 1
  backup:
    directory: ${v.backups}
    timeoutSeconds: 60
    restoreDrill:
      onDeploy: true
  notifications:
    timeoutMs: 3000
    webhooks:
      - name: chat
        url: { secret: chatHook }
        on: [start, success, failure]
`;
}

describe("engine: seed practices from a stack's YAML config (local stack, PostgreSQL)", function () {
  this.timeout(480_000);
  this.bail(true);
  let pg: TestPostgres;
  let dir: string;
  let hook: http.Server;
  let hookUrl: string;
  let stack: string;
  let file: string;
  let env: Record<string, string>;
  let values: Parameters<typeof stackYaml>[0];
  /** What the chat webhook received: the announcement (`event: start`) and the records' outcomes. */
  const inbox: { event: string; text: string; revision?: string; images?: Record<string, string> }[] = [];

  const pulumi = (args: string[]) => runPulumiAsync(args, { cwd: REPO_ROOT, env, timeoutMs: 240_000 });
  const up = () => pulumi(["up", "--stack", stack, "--yes", "--skip-preview"]);
  /** Writes the YAML config into the stack file, keeping the salt and the secrets the CLI wrote. */
  const writeConfig = () => {
    const current = fs.existsSync(file) ? (parse(fs.readFileSync(file, "utf8")) as Raw) : {};
    const config = { ...(current.config ?? {}), ...(parse(stackYaml(values)) as Raw) };
    fs.writeFileSync(file, stringify({ ...current, config }));
  };
  const stateDir = () => path.join(dir, "local");
  const ledger = () =>
    fs
      .readFileSync(path.join(stateDir(), "ledger.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
  const pidOf = (svc: string) =>
    JSON.parse(fs.readFileSync(path.join(stateDir(), "services", svc, "process.json"), "utf8")).pid as number;
  const verifyState = async () => {
    const out = await pulumi(["stack", "export", "--stack", stack]);
    assert.strictEqual(out.code, 0, out.output);
    const resources = JSON.parse(out.output).deployment.resources as Raw[];
    return resources.find((r) => r.type === "pulumi-nodejs:dynamic/checks:IntegrityVerify")!;
  };

  before(async () => {
    assert.strictEqual(process.cwd(), REPO_ROOT, "run mocha from the project root");
    pg = await startPostgres();
    const url = (await pg.createDatabase("app")).replace("fleetgate@", `fleetgate:${PASSWORD}@`);
    await pg.query(
      "create table schema_migrations (version int); insert into schema_migrations values (1);" +
        "create table jobs (id int); insert into jobs select g from generate_series(1, 20) g;",
      "app",
    );
    hook = http.createServer((req, res) => {
      let body = "";
      req.on("data", (d) => (body += d));
      req.on("end", () => {
        const msg = JSON.parse(body);
        // A result notification is `{ text, record }` (lib/ledger/notify.ts); its event is the outcome.
        const event = msg.event ?? (msg.record?.outcome === "succeeded" ? "success" : "failure");
        inbox.push({ ...msg, event });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => hook.listen(0, "127.0.0.1", r));
    hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/chat`;
    dir = tempDir("wire-engine");
    stack = `test-wire-${path.basename(dir).slice(-6).toLowerCase()}`;
    file = path.join(REPO_ROOT, `Pulumi.${stack}.yaml`);
    env = engineEnv(dir);
    values = {
      stateDir: stateDir(),
      backups: path.join(dir, "backups"),
      apiPort: await freeServicePort(),
      workerPort: await freeServicePort(),
      workerLog: READY,
    };
    const created = await pulumi(["stack", "init", stack]);
    assert.strictEqual(created.code, 0, created.output);
    writeConfig();
    for (const [key, value] of [
      ["databaseUrl", url],
      ["chatHook", hookUrl],
    ]) {
      const set = await pulumi(["config", "set", "--secret", "--stack", stack, `fleetgate:${key}`, value]);
      assert.strictEqual(set.code, 0, set.output);
    }
  });

  after(async () => {
    // A failed test leaves the stack to destroy here, so no process outlives the run.
    if (stack && fs.existsSync(file)) {
      await pulumi(["destroy", "--stack", stack, "--yes", "--skip-preview"]);
      await pulumi(["stack", "rm", "--stack", stack, "--yes", "--force"]);
      fs.rmSync(file, { force: true });
    }
    await pg?.stop();
    await new Promise((r) => hook?.close(r));
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("up: announces, proves the dump restores, and passes the http, log, liveness and SQL checks", async () => {
    const res = await up();
    assert.strictEqual(res.code, 0, res.output);
    const rec = ledger().pop();
    assert.deepStrictEqual([rec.kind, rec.outcome], ["deploy", "succeeded"]);
    assert.deepStrictEqual(
      rec.checks.map((c: Raw) => [c.check, c.status]),
      [
        ["api-up", "pass"],
        ["worker-log", "pass"],
        ["worker-alive", "pass"],
        ["integrity-verify", "pass"],
      ],
    );
    // The announcement came first, then the success message; both name the revision deployed.
    assert.deepStrictEqual(
      inbox.map((m) => m.event),
      ["start", "success"],
    );
    assert.strictEqual(inbox[0].revision, rec.revision);
    assert.deepStrictEqual(inbox[0].images, rec.images);
    // The SQL check ran inside the verify.
    const verify = await verifyState();
    assert.deepStrictEqual(
      verify.outputs.sqlResults.map((r: Raw) => [r.check, r.status, r.value]),
      [["schema-version", "pass", "1"]],
    );
    // The drill restored the dump into a scratch database and dropped it; the dump stays.
    const state = readStateFile(dir, "fleetgate", stack);
    assert.ok(state.includes("pulumi-nodejs:dynamic/checks:RestoreDrill"), "no restore drill in the state");
    assert.deepStrictEqual(
      await pg.query("select datname from pg_database where datname like 'fleetgate_drill_%'"),
      [],
    );
    assert.strictEqual(fs.readdirSync(values.backups).filter((f) => f.endsWith(".dump")).length, 1);
    assert.ok(!state.includes(PASSWORD), "the database password is in plain text in the state");
    assert.ok(!state.includes(hookUrl), "the webhook URL is in plain text in the state");
    assert.ok(processAlive(pidOf("worker")));
  });

  it("a worker deploy that logs a panic fails the log check and the update; the ledger records it", async () => {
    const before = pidOf("worker");
    values.workerLog = PANIC;
    writeConfig();
    const res = await up();
    assert.notStrictEqual(res.code, 0, "the up passed with a panic in the worker's log");
    assert.match(res.output, /smoke suite failed: 1 of 3 checks failed: worker-log/);
    assert.match(res.output, /a log line matches \/panic:\/: "panic: assignment to entry in nil map"/);
    assert.ok(!res.output.includes(PASSWORD));
    assert.notStrictEqual(pidOf("worker"), before, "the env change did not redeploy the worker");
    const rec = ledger().pop();
    assert.deepStrictEqual([rec.outcome, rec.failure.gate], ["failed", "smoke"]);
    assert.deepStrictEqual(
      rec.checks.filter((c: Raw) => c.status !== "pass").map((c: Raw) => c.check),
      ["worker-log"],
    );
    assert.strictEqual(inbox.at(-1)!.event, "failure");
  });

  it("the fix passes again; destroy stops every process", async () => {
    values.workerLog = READY;
    writeConfig();
    const res = await up();
    assert.strictEqual(res.code, 0, res.output);
    const rec = ledger().pop();
    assert.strictEqual(rec.outcome, "succeeded");
    assert.ok(rec.checks.every((c: Raw) => c.status === "pass"));
    assert.deepStrictEqual(
      inbox.map((m) => m.event),
      ["start", "success", "start", "failure", "start", "success"],
    );
    const pids = [pidOf("api"), pidOf("worker")];
    const destroyed = await pulumi(["destroy", "--stack", stack, "--yes", "--skip-preview"]);
    assert.strictEqual(destroyed.code, 0, destroyed.output);
    assert.deepStrictEqual(
      pids.map((p) => processAlive(p)),
      [false, false],
    );
    // The dumps outlive the stack (the backup gate never deletes evidence).
    assert.ok(fs.readdirSync(values.backups).some((f) => f.endsWith(".dump")));
    const removed = await pulumi(["stack", "rm", "--stack", stack, "--yes"]);
    assert.strictEqual(removed.code, 0, removed.output);
    fs.rmSync(file, { force: true });
  });
});
