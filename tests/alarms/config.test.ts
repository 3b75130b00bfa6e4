/**
 * The alarms section of the stack config: defaults, and bad thresholds or windows refused with
 * messages that name the field and the fix.
 */
import * as assert from "assert";
import { alarmsConfig } from "../../config/alarms";
import { validateStackConfig } from "../../config/load";
import { rawStack, validate } from "./fixtures";

/** Issues of the dev stack with its alarms section edited. */
function issuesWith(edit: (alarms: Record<string, unknown>) => void): { path: string; message: string }[] {
  const raw = rawStack("dev");
  edit(raw.alarms as Record<string, unknown>);
  const r = validate(raw);
  return r.ok ? [] : r.issues;
}

function assertIssue(issues: { path: string; message: string }[], path: string, message: RegExp) {
  const hit = issues.find((i) => i.path === path);
  assert.ok(hit, `no issue at ${path}; got:\n${issues.map((i) => `${i.path}: ${i.message}`).join("\n")}`);
  assert.match(hit.message, message);
}

describe("alarms: config", () => {
  it("fills defaults: 30 s health checks, down for 1 min, latency 2 s for 5 min, errors 5 % for 10 min", () => {
    const cfg = alarmsConfig.parse({});
    assert.deepStrictEqual(cfg.healthCheck, {
      intervalSeconds: 30,
      failureThreshold: 3,
      measureLatency: true,
    });
    assert.deepStrictEqual(cfg.serviceDown, { periodSeconds: 60, windowSeconds: 60, severity: "P2" });
    assert.strictEqual(cfg.latency.thresholdMs, 2000);
    assert.strictEqual(cfg.latency.windowSeconds, 300);
    assert.strictEqual(cfg.errorRate.thresholdPercent, 5);
    assert.strictEqual(cfg.errorRate.windowSeconds, 600);
    assert.deepStrictEqual(cfg.composite, { enabled: true, severity: "P1" });
    assert.strictEqual(cfg.monitor, undefined);
    assert.strictEqual(alarmsConfig.parse({ monitor: {} }).monitor?.schedule, "rate(12 hours)");
  });

  it("accepts the shipped dev and prod alarms", () => {
    for (const stack of ["dev", "prod"] as const) {
      const r = validate(rawStack(stack));
      assert.ok(r.ok, r.ok ? "" : r.issues.map((i) => `${i.path}: ${i.message}`).join("\n"));
    }
  });

  it("refuses a negative latency budget", () => {
    const issues = issuesWith((a) => ((a.latency as Record<string, unknown>).thresholdMs = -5));
    assertIssue(issues, "alarms.latency.thresholdMs", /must be a positive number of milliseconds/);
  });

  it("refuses an error rate over 100 % and a negative one", () => {
    assertIssue(
      issuesWith((a) => ((a.errorRate as Record<string, unknown>).thresholdPercent = 150)),
      "alarms.errorRate.thresholdPercent",
      /percentage above 0 and at most 100/,
    );
    assertIssue(
      issuesWith((a) => ((a.errorRate as Record<string, unknown>).thresholdPercent = -1)),
      "alarms.errorRate.thresholdPercent",
      /percentage above 0 and at most 100/,
    );
  });

  it("refuses a window shorter than its period, naming both and the fix", () => {
    const issues = issuesWith((a) => {
      a.latency = { thresholdMs: 2000, periodSeconds: 300, windowSeconds: 120 };
    });
    assertIssue(
      issues,
      "alarms.latency.windowSeconds",
      /window of 120 s is shorter than the period of 300 s; make windowSeconds at least periodSeconds/,
    );
  });

  it("refuses a window that is not a whole number of periods and too many datapoints", () => {
    assertIssue(
      issuesWith((a) => (a.serviceDown = { periodSeconds: 60, windowSeconds: 90 })),
      "alarms.serviceDown.windowSeconds",
      /not a whole number of 60 s periods/,
    );
    assertIssue(
      issuesWith((a) => ((a.errorRate as Record<string, unknown>).datapointsToAlarm = 11)),
      "alarms.errorRate.datapointsToAlarm",
      /must be at most 10/,
    );
  });

  it("refuses periods CloudWatch does not take and unknown severities", () => {
    assertIssue(
      issuesWith((a) => (a.serviceDown = { periodSeconds: 45, windowSeconds: 90 })),
      "alarms.serviceDown.periodSeconds",
      /10, 30 or a multiple of 60/,
    );
    assertIssue(
      issuesWith((a) => (a.serviceDown = { severity: "P5" })),
      "alarms.serviceDown.severity",
      /one of P1, P2, P3, P4/,
    );
  });

  it("refuses a severity routed to an undeclared channel", () => {
    const issues = issuesWith((a) => {
      (a.severities as Record<string, unknown>).P1 = { responseMinutes: 0, channels: ["pager"] };
    });
    assertIssue(
      issues,
      "alarms.severities.P1.channels[0]",
      /unknown channel "pager"; declare it under alarms.channels/,
    );
  });

  it("refuses watching a worker or an unknown service", () => {
    const issues = issuesWith((a) => (a.services = ["refapp-engine", "nope"]));
    assertIssue(issues, "alarms.services[0]", /worker service; only public \(web\) services/);
    assertIssue(issues, "alarms.services[1]", /unknown service "nope"/);
  });

  it("asks for the secret a channel references", () => {
    const raw = rawStack("prod");
    const r = validate(raw);
    assert.ok(r.ok);
    const missing = validateStackConfig(raw, {
      secretKeys: new Set(["databaseUrl", "jwtSecret", "sendgridApiKey", "smokeApiKey"]),
    });
    assert.ok(!missing.ok);
    assertIssue(
      missing.issues,
      "alarms.channels[2].number",
      /pulumi config set --secret fleetgate:oncallPhone/,
    );
  });

  it("refuses the monitor without smoke checks and CloudWatch on the local platform", () => {
    const raw = rawStack("dev");
    delete (raw.gates as Record<string, unknown>).smoke;
    const r = validate(raw);
    assert.ok(!r.ok);
    assertIssue(r.issues, "alarms.monitor", /declare gates.smoke.checks or remove alarms.monitor/);

    const local = rawStack("dev");
    local.platform = { kind: "local" };
    const l = validate(local);
    assert.ok(!l.ok);
    assertIssue(
      l.issues,
      "alarms.cloudwatch",
      /set alarms.cloudwatch: false \(Prometheus rules still work\)/,
    );
  });
});
