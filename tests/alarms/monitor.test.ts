/**
 * The health monitor's handler, run locally against real HTTP endpoints on loopback that this
 * test starts: the deploy gate's checks (shared library) pass on a healthy fleet and publish
 * the result table on a broken one. Also runs the real esbuild bundle with stand-ins for the
 * AWS SDK modules the Lambda runtime provides.
 */
import * as assert from "assert";
import { execFile } from "child_process";
import * as fs from "fs";
import * as http from "http";
import { AddressInfo } from "net";
import * as path from "path";
import { promisify } from "util";
import { monitorPlan } from "../../components/monitor/plan";
import { bundleMonitorHandler } from "../../components/monitor/bundle";
import { Notification, runMonitor } from "../../lambda/monitor/handler";
import { handler } from "../../lambda/monitor/index";
import { MonitorPlan } from "../../lambda/monitor/plan";
import { tempDir } from "../support/engine";
import { FLEET_API_KEY, stackConfig, startFleet } from "./fixtures";
import { installSdkStandIns } from "./lambda-runtime";

const API_KEY = FLEET_API_KEY;
/** The slot of dev's generated smoke API key (lambda/monitor/plan.ts `slotKey`). */
const SLOT = "generated:smoke-api-key";

describe("alarms: health monitor handler", function () {
  this.timeout(60_000);
  const state = { healthy: true };
  let server: http.Server;
  let plan: MonitorPlan;

  before(async () => {
    server = await startFleet(state);
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const cfg = stackConfig("dev", (raw) => {
      const fleet = raw.fleet as { services: { name: string; url?: string }[] };
      for (const s of fleet.services)
        if (s.name === "refapp-api" || s.name === "refapp-dashboard") s.url = base;
    });
    plan = monitorPlan(cfg);
  });
  after(() => server.close());
  beforeEach(() => (state.healthy = true));

  function deps(published: Notification[], secrets: Record<string, string> = { [SLOT]: API_KEY }) {
    return {
      loadSecrets: async (keys: string[]) => {
        assert.deepStrictEqual(keys, [SLOT]);
        return secrets;
      },
      publish: async (n: Notification) => {
        published.push(n);
      },
      now: () => new Date("2026-11-25T12:00:00Z"),
    };
  }

  it("runs the deploy gate's checks against the services and stays quiet when they pass", async () => {
    const published: Notification[] = [];
    const report = await runMonitor(plan, deps(published));
    assert.deepStrictEqual(
      report.results.map((r) => [r.check, r.status]),
      [
        ["api-health", "pass"],
        ["api-key", "pass"],
        ["dashboard", "pass"],
      ],
      JSON.stringify(report.results),
    );
    assert.strictEqual(report.ok, true);
    assert.deepStrictEqual(published, []);
  });

  it("publishes the result table to SNS when a check fails, without secret values", async () => {
    state.healthy = false;
    const published: Notification[] = [];
    const report = await runMonitor(plan, deps(published));
    assert.strictEqual(report.ok, false);
    assert.strictEqual(published.length, 1);
    const [n] = published;
    assert.strictEqual(n.subject, "[P2] refapp dev: 1 of 3 checks failed: api-health");
    assert.match(n.message, /2026-11-25T12:00:00.000Z/);
    assert.match(n.message, /CHECK\s+TARGET\s+STATUS\s+LATENCY\s+REASON/);
    assert.match(n.message, /api-health\s+refapp-api\s+FAIL/);
    assert.match(n.message, /dashboard\s+refapp-dashboard\s+PASS/);
    assert.ok(!n.message.includes(API_KEY), "the API key never reaches the notification");
  });

  it("reports a wrong key as a failed check, and a missing secret as a broken monitor", async () => {
    const published: Notification[] = [];
    const wrong = await runMonitor(plan, deps(published, { [SLOT]: "not-the-key" }));
    assert.deepStrictEqual(
      wrong.results.filter((r) => r.status === "fail").map((r) => r.check),
      ["api-key"],
    );
    assert.ok(!published[0].message.includes("not-the-key"));
    const missing = await runMonitor(plan, deps(published, {}));
    assert.strictEqual(missing.ok, false);
    assert.match(published[1].subject, /health monitor could not run its checks/);
    assert.match(published[1].message, /check "api-key" needs secret "generated:smoke-api-key"/);
  });

  it("the Lambda entry point names a missing plan or topic instead of guessing", async () => {
    const saved = { ...process.env };
    const dir = tempDir("monitor-entry");
    try {
      process.env.FLEETGATE_MONITOR_PLAN_FILE = path.join(dir, "plan.json");
      await assert.rejects(handler(), /cannot read the monitor plan .*plan\.json/);
      fs.writeFileSync(path.join(dir, "plan.json"), JSON.stringify(plan));
      delete process.env.FLEETGATE_MONITOR_TOPIC_ARN;
      await assert.rejects(handler(), /FLEETGATE_MONITOR_TOPIC_ARN is not set/);
    } finally {
      process.env = saved;
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("the bundled Lambda runs on its own with the runtime's AWS SDK", async () => {
    state.healthy = false;
    const dir = tempDir("monitor-bundle");
    try {
      fs.writeFileSync(path.join(dir, "index.js"), bundleMonitorHandler());
      fs.writeFileSync(path.join(dir, "plan.json"), JSON.stringify(plan));
      // Stand-ins for the SDK modules Lambda provides: they record what the handler sends.
      installSdkStandIns(dir);
      const log = path.join(dir, "sdk.log");
      // Asynchronously: the stand-in fleet answers from this very process.
      const { stdout: out } = await promisify(execFile)(
        process.execPath,
        ["-e", "require('./index.js').handler().then(r => console.log('REPORT ' + r.ok))"],
        {
          cwd: dir,
          encoding: "utf8",
          env: {
            PATH: process.env.PATH ?? "",
            SDK_LOG: log,
            FAKE_SECRETS: JSON.stringify({ [SLOT]: API_KEY }),
            FLEETGATE_MONITOR_TOPIC_ARN: "arn:aws:sns:us-east-1:123456789012:refapp-prod-p1",
            FLEETGATE_MONITOR_SECRETS_PARAMETER: "/fleetgate/refapp-prod/monitor/secrets",
          },
        },
      );
      assert.match(out, /REPORT false/);
      const calls = fs
        .readFileSync(log, "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l));
      assert.deepStrictEqual(calls[0], {
        kind: "ssm",
        input: { Name: "/fleetgate/refapp-prod/monitor/secrets", WithDecryption: true },
      });
      assert.strictEqual(calls[1].kind, "sns");
      assert.strictEqual(calls[1].input.TopicArn, "arn:aws:sns:us-east-1:123456789012:refapp-prod-p1");
      assert.match(calls[1].input.Subject, /1 of 3 checks failed: api-health/, calls[1].input.Message);
      assert.match(calls[1].input.Message, /api-health\s+refapp-api\s+FAIL/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
