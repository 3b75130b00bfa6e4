/**
 * The `log` smoke check against real log files (as the local platform writes them, with its
 * start markers) and against the Render logs double (GET /v1/logs as Render documents it):
 * forbidden patterns, required patterns, the deploy window, watching, paging and errors.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { checkConfig } from "../../config/checks";
import { runChecks } from "../../lib/checks/run";
import type { LogSource, ResolvedCheck } from "../../lib/checks/types";
import { tempDir } from "../support/engine";
import { RenderLogsDouble } from "../support/render-logs-double";

function logCheck(source: LogSource, fields: Record<string, unknown>): ResolvedCheck {
  const parsed = checkConfig.parse({ name: "logs", target: "worker", kind: "log", ...fields });
  const { timeoutMs: _t, ...rest } = parsed;
  return {
    ...rest,
    url: "",
    timeoutMs: (fields.timeoutMs as number) ?? 3000,
    logSource: source,
  } as ResolvedCheck;
}

async function run(check: ResolvedCheck) {
  const [r] = await runChecks([check], { retries: 0 });
  return r;
}

describe("log check: local log files", function () {
  this.timeout(30_000);
  let dir: string;
  let file: string;
  const start = (cmd: string) => `\n--- fleetgate: start ${new Date().toISOString()}: ${cmd}\n`;

  beforeEach(() => {
    dir = tempDir("log-check");
    file = path.join(dir, "worker.log");
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("reads only the running deploy's lines: an error of the previous start does not count", async () => {
    fs.writeFileSync(
      file,
      `${start("node v1")}panic: old crash\n${start("node v2")}worker ready\nprocessed job 1\n`,
    );
    const r = await run(
      logCheck({ kind: "file", path: file }, { absent: ["panic:", "ERROR"], present: ["worker ready"] }),
    );
    assert.strictEqual(r.status, "pass", r.reason);
    assert.match(r.reason, /^2 lines, no forbidden pattern, required patterns seen/);
  });

  it("fails on a forbidden line and quotes it", async () => {
    fs.writeFileSync(file, `${start("node v2")}worker ready\nERROR connect ECONNREFUSED 127.0.0.1:5432\n`);
    const r = await run(logCheck({ kind: "file", path: file }, { absent: ["panic:", "ERROR"] }));
    assert.strictEqual(r.status, "fail");
    assert.strictEqual(r.reason, 'a log line matches /ERROR/: "ERROR connect ECONNREFUSED 127.0.0.1:5432"');
  });

  it("waits for a required line written after the check started, and fails when it never comes", async () => {
    fs.writeFileSync(file, `${start("node v2")}booting\n`);
    setTimeout(() => fs.appendFileSync(file, "worker ready\n"), 700);
    const ok = await run(logCheck({ kind: "file", path: file }, { present: ["worker ready"] }));
    assert.strictEqual(ok.status, "pass", ok.reason);
    assert.ok(ok.latencyMs >= 500, `passed after ${ok.latencyMs} ms, before the line was written`);
    const never = await run(
      logCheck({ kind: "file", path: file }, { present: ["migrations done"], timeoutMs: 1200 }),
    );
    assert.strictEqual(never.status, "fail");
    assert.match(never.reason, /^no log line matched \/migrations done\/ within 1200 ms \(2 lines read\)/);
  });

  it("watches for watchSeconds: an error logged a moment after the deploy fails the check", async () => {
    fs.writeFileSync(file, `${start("node v2")}worker ready\n`);
    setTimeout(() => fs.appendFileSync(file, "panic: runtime error: nil map\n"), 600);
    const r = await run(
      logCheck({ kind: "file", path: file }, { absent: ["panic:"], watchSeconds: 2, timeoutMs: 4000 }),
    );
    assert.strictEqual(r.status, "fail");
    assert.match(r.reason, /panic: runtime error/);
  });

  it("fails with the file named when the log cannot be read", async () => {
    const r = await run(logCheck({ kind: "file", path: path.join(dir, "missing.log") }, { absent: ["x"] }));
    assert.strictEqual(r.status, "fail");
    assert.match(r.reason, /cannot read the log file .*missing\.log \(ENOENT\)/);
  });
});

describe("log check: Render logs API (double)", function () {
  this.timeout(30_000);
  let logs: RenderLogsDouble;
  const source = (): LogSource => ({
    kind: "render",
    baseUrl: logs.url,
    ownerId: "tea-seeds",
    resourceId: "srv-w1",
  });
  const withKey = (c: ResolvedCheck) => ({ ...c, apiKey: "rnd_logs" }) as ResolvedCheck;

  beforeEach(async () => {
    logs = await RenderLogsDouble.start({ apiKey: "rnd_logs", ownerId: "tea-seeds" });
  });
  afterEach(() => logs.close());

  it("reads the window of the service's lines over every page, and passes", async () => {
    const t0 = Date.now() - 60_000;
    logs.add("srv-w1", "panic: before the window", new Date(t0 - 600_000));
    for (let i = 0; i < 130; i++) logs.add("srv-w1", `processed job ${i}`, new Date(t0 + i * 10));
    logs.add("srv-other", "ERROR in another service", new Date(t0));
    logs.add("srv-w1", "worker ready", new Date(t0 + 5000));
    const r = await run(
      withKey(
        logCheck(source(), { absent: ["panic:", "ERROR"], present: ["worker ready"], windowSeconds: 300 }),
      ),
    );
    assert.strictEqual(r.status, "pass", r.reason);
    assert.match(r.reason, /^131 lines/);
    const first = logs.requests[0];
    assert.strictEqual(first.get("ownerId"), "tea-seeds");
    assert.deepStrictEqual(first.getAll("resource"), ["srv-w1"]);
    assert.strictEqual(first.get("direction"), "forward");
    assert.ok(logs.requests.length >= 2, "the second page was not read");
  });

  it("fails on an error line in the window, quoting it", async () => {
    logs.add("srv-w1", 'ERROR: relation "jobs" does not exist', new Date(Date.now() - 5000));
    const r = await run(withKey(logCheck(source(), { absent: ["ERROR"] })));
    assert.strictEqual(r.status, "fail");
    assert.match(r.reason, /a log line matches \/ERROR\/: "ERROR: relation \\"jobs\\" does not exist"/);
  });

  it("reports Render's error message (bad key) and a missing key", async () => {
    const bad = await run({ ...logCheck(source(), { absent: ["x"] }), apiKey: "wrong" } as ResolvedCheck);
    assert.strictEqual(bad.status, "fail");
    assert.strictEqual(bad.reason, "Render logs API answered 401: unauthorized");
    const none = await run(logCheck(source(), { absent: ["x"] }));
    assert.match(none.reason, /no Render API key/);
  });
});

describe("log check: config", () => {
  const issues = (fields: Record<string, unknown>) => {
    const r = checkConfig.safeParse({ name: "logs", target: "worker", kind: "log", ...fields });
    return r.success ? [] : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
  };
  it("needs a pattern, and refuses one that does not compile", () => {
    assert.deepStrictEqual(issues({}), [": needs at least one pattern in absent or present"]);
    assert.deepStrictEqual(issues({ absent: ["(unclosed"] }), [
      "absent.0: is not a valid regular expression",
    ]);
    assert.deepStrictEqual(issues({ absent: ["panic:"] }), []);
  });
});
