/**
 * The monitor Lambda as AWS would run it: the code archive handed to the `aws.lambda.Function`
 * resource (captured from its registered inputs under Pulumi mocks, not the component's own
 * field) is unpacked and its handler invoked against a stand-in fleet on loopback.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as http from "http";
import { AddressInfo } from "net";
import * as pulumi from "@pulumi/pulumi";
import { HealthMonitor } from "../../components/monitor";
import { monitorPlan } from "../../components/monitor/plan";
import { tempDir } from "../support/engine";
import { FLEET_API_KEY, stackConfig, startFleet } from "./fixtures";
import { installSdkStandIns, invokeHandler, unpackArchive } from "./lambda-runtime";

const API_KEY = FLEET_API_KEY;
/** The slot of prod's generated smoke API key (lambda/monitor/plan.ts `slotKey`). */
const SLOT = "generated:smoke-api-key";
const TOPIC = "arn:aws:sns:us-east-1:123456789012:refapp-prod-p2";

describe("alarms: the monitor Lambda's deployed archive", function () {
  this.timeout(60_000);
  const state = { healthy: true };
  let server: http.Server;
  let fnInputs: Record<string, unknown> | undefined;
  let dir: string;

  before(async () => {
    server = await startFleet(state);
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const cfg = stackConfig("prod", (raw) => {
      const fleet = raw.fleet as { services: { name: string; url?: string }[] };
      for (const s of fleet.services)
        if (s.name === "refapp-api" || s.name === "refapp-dashboard") s.url = base;
      // prod's 300 ms latency budget is for Render, not for a cold handler process on a loaded
      // test machine: this test is about the archive, so the budget must not decide it.
      const smoke = (raw.gates as { smoke: { checks: { latencyBudgetMs?: number }[] } }).smoke;
      for (const c of smoke.checks) if (c.latencyBudgetMs !== undefined) c.latencyBudgetMs = 10_000;
    });
    pulumi.runtime.setMocks(
      {
        newResource: (args) => {
          if (args.type === "aws:lambda/function:Function") fnInputs = args.inputs;
          const arn = `arn:aws:mock:us-east-1:123456789012:${args.name}`;
          return { id: `${args.name}-id`, state: { ...args.inputs, arn } };
        },
        call: (args) => args.inputs,
      },
      "fleetgate",
      "prod",
      false,
    );
    const monitor = new HealthMonitor("monitor", {
      plan: monitorPlan(cfg),
      schedule: "rate(12 hours)",
      topicArn: TOPIC,
      secrets: { [SLOT]: pulumi.secret(API_KEY) },
      region: "us-east-1",
      timeoutSeconds: 60,
      namePrefix: "refapp-prod",
    });
    await new Promise((resolve) => monitor.functionArn.apply(resolve));
    for (let i = 0; i < 100 && !fnInputs; i++) await new Promise((r) => setTimeout(r, 20));
    dir = tempDir("monitor-archive");
  });
  after(() => {
    server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("the Function's own code archive holds the bundle and the plan", async () => {
    assert.ok(fnInputs, "an aws.lambda.Function was registered");
    const files = await unpackArchive(fnInputs.code, dir);
    assert.deepStrictEqual(files, ["index.js", "plan.json"]);
    assert.strictEqual(fnInputs.handler, "index.handler");
  });

  it("its handler runs from the unpacked archive: quiet when healthy, publishes when a check fails", async () => {
    installSdkStandIns(dir);
    const env: Record<string, string> = {
      FAKE_SECRETS: JSON.stringify({ [SLOT]: API_KEY }),
      ...((fnInputs!.environment as { variables: Record<string, string> }).variables ?? {}),
    };
    assert.strictEqual(env.FLEETGATE_MONITOR_TOPIC_ARN, TOPIC);
    const healthy = await invokeHandler(dir, env);
    assert.deepStrictEqual(healthy.report, { ok: true, summary: "3/3 checks passed" }, healthy.stdout);
    assert.deepStrictEqual(
      healthy.calls.map((c) => c.kind),
      ["ssm"],
    );

    state.healthy = false;
    fs.rmSync(`${dir}/sdk.log`, { force: true });
    const broken = await invokeHandler(dir, env);
    assert.strictEqual(broken.report.ok, false, broken.stdout);
    const sns = broken.calls.find((c) => c.kind === "sns");
    assert.ok(sns, JSON.stringify(broken.calls));
    assert.strictEqual(sns.input.TopicArn, TOPIC);
    assert.match(String(sns.input.Subject), /1 of 3 checks failed: api-health/);
    assert.ok(!String(sns.input.Message).includes(API_KEY), "no secret value in the notification");
  });
});
