/**
 * The generated Alertmanager and Prometheus server configurations: checked by the real tools
 * (`amtool check-config`, `promtool check config`), and routed by `amtool config routes test`
 * as the severities say.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { alarmsConfig } from "../../config/alarms";
import { isSecretRef } from "../../config/primitives";
import {
  buildAlertmanagerConfig,
  renderAlertmanagerConfig,
  severityTiming,
} from "../../lib/alertmanager/config";
import { renderPrometheusConfig } from "../../lib/prometheus/config";
import { renderPrometheusRules } from "../../lib/prometheus/rules";
import { tempDir } from "../support/engine";
import { runPromtool } from "../support/promtool";
import { runAmtool } from "./amtool";

const ALARMS = alarmsConfig.parse({
  cloudwatch: false,
  channels: [
    { name: "oncall-mail", kind: "email", address: "oncall@example.com" },
    { name: "ops-hook", kind: "webhook", url: { secret: "opsHookUrl" } },
    { name: "ops-slack", kind: "slack", url: { secret: "slackUrl" }, channel: "#ops" },
    { name: "pager", kind: "pagerduty", routingKey: { secret: "pdKey" } },
  ],
  severities: {
    P1: { responseMinutes: 0, channels: ["pager", "ops-slack", "ops-hook"] },
    P2: { responseMinutes: 5, channels: ["ops-slack", "ops-hook"] },
    P3: { responseMinutes: 15, channels: ["oncall-mail"] },
    P4: { responseMinutes: 240, channels: ["oncall-mail"] },
  },
  alertmanager: { smtp: { smarthost: "smtp.example.com:587", from: "alerts@example.com" } },
  errorRate: { severity: "P2" },
});

const SECRETS: Record<string, string> = {
  opsHookUrl: "https://hooks.example.com/ops/T0KEN",
  slackUrl: "https://hooks.slack.com/services/T000/B000/XXXX",
  pdKey: "0123456789abcdef0123456789abcdef",
};
const resolve = (v: string | object) =>
  typeof v === "string" ? v : isSecretRef(v) && "secret" in v ? SECRETS[v.secret] : "generated";
const INPUT = { fleet: "shop", environment: "prod", alarms: ALARMS, resolve };

describe("alarms: Alertmanager and Prometheus server configs", function () {
  this.timeout(60_000);
  let dir: string;
  before(() => {
    dir = tempDir("alertmanager");
    fs.writeFileSync(path.join(dir, "alertmanager.yml"), renderAlertmanagerConfig(INPUT));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("passes amtool check-config", () => {
    const r = runAmtool(["check-config", "alertmanager.yml"], dir);
    assert.strictEqual(r.code, 0, r.output);
    assert.match(r.output, /SUCCESS/);
    assert.match(r.output, /- 1 inhibit rules/);
    assert.match(r.output, /- 5 receivers/);
  });

  it("amtool check-config refuses a broken config (the check can fail)", () => {
    const broken = renderAlertmanagerConfig(INPUT).replace("receiver: fleetgate-P2", "receiver: nobody");
    fs.writeFileSync(path.join(dir, "broken.yml"), broken);
    const r = runAmtool(["check-config", "broken.yml"], dir);
    assert.notStrictEqual(r.code, 0, r.output);
    assert.match(r.output, /undefined receiver "nobody"/);
  });

  it("routes each severity to its own receiver with its channels", () => {
    const route = (labels: string) =>
      // stdout's first line is the receiver (amtool warns on stderr about its default URL).
      runAmtool(["config", "routes", "test", "--config.file=alertmanager.yml", ...labels.split(" ")], dir)
        .output.split("\n")[0]
        .trim();
    for (const sev of ["P1", "P2", "P3", "P4"]) {
      const r = route(`severity=${sev} service=api alertname=ServiceDown`);
      assert.strictEqual(r, `fleetgate-${sev}`);
    }
    assert.strictEqual(route("alertname=Stray"), "fleetgate-unrouted");
    const cfg = buildAlertmanagerConfig(INPUT) as {
      receivers: { name: string; [k: string]: unknown }[];
    };
    const byName = Object.fromEntries(cfg.receivers.map((r) => [r.name, r]));
    assert.deepStrictEqual(byName["fleetgate-P1"].pagerduty_configs, [
      { routing_key: SECRETS.pdKey, severity: "critical", send_resolved: true },
    ]);
    assert.strictEqual(
      (byName["fleetgate-P1"].slack_configs as { api_url: string; channel: string }[])[0].api_url,
      SECRETS.slackUrl,
    );
    assert.deepStrictEqual(byName["fleetgate-P2"].webhook_configs, [
      { url: SECRETS.opsHookUrl, send_resolved: true },
    ]);
    assert.deepStrictEqual(byName["fleetgate-P3"].email_configs, [
      { to: "oncall@example.com", send_resolved: true },
    ]);
  });

  it("paces grouping and repetition by each severity's response time; a firing P1 inhibits lower ones", () => {
    const cfg = parse(fs.readFileSync(path.join(dir, "alertmanager.yml"), "utf8"));
    const timing = cfg.route.routes.map((r: Record<string, string>) => [
      r.receiver,
      r.group_wait,
      r.group_interval,
      r.repeat_interval,
    ]);
    assert.deepStrictEqual(timing, [
      ["fleetgate-P1", "10s", "1m", "5m"],
      ["fleetgate-P2", "30s", "5m", "5m"],
      ["fleetgate-P3", "60s", "5m", "15m"],
      ["fleetgate-P4", "60s", "5m", "4h"],
    ]);
    assert.deepStrictEqual(severityTiming(60), {
      groupWait: "60s",
      groupInterval: "5m",
      repeatInterval: "1h",
    });
    assert.deepStrictEqual(cfg.inhibit_rules, [
      {
        source_matchers: ['severity="P1"'],
        target_matchers: ['severity=~"P2|P3|P4"'],
        equal: ["fleet", "environment", "service"],
      },
    ]);
    assert.strictEqual(cfg.global.smtp_smarthost, "smtp.example.com:587");
  });

  it("names the missing field when email channels have no mail relay", () => {
    const noSmtp = { ...ALARMS, alertmanager: { resolveTimeout: "5m" } };
    assert.throws(() => buildAlertmanagerConfig({ ...INPUT, alarms: noSmtp }), /alarms\.alertmanager\.smtp/);
    const issues = alarmsConfig.safeParse({
      cloudwatch: false,
      channels: [{ name: "pager", kind: "pagerduty", routingKey: { secret: "pdKey" } }],
      severities: { P1: { responseMinutes: 0, channels: ["pager"] } },
    });
    assert.ok(!issues.success);
    assert.match(issues.error.issues[0].message, /delivered by Alertmanager only; add alarms\.alertmanager/);
  });

  it("a Prometheus config that scrapes every watched service with its service label passes promtool check config", () => {
    fs.writeFileSync(
      path.join(dir, "rules.yml"),
      renderPrometheusRules({
        fleet: "shop",
        environment: "prod",
        services: ["api", "dash"],
        alarms: ALARMS,
      }),
    );
    const text = renderPrometheusConfig({
      fleet: "shop",
      environment: "prod",
      alarms: ALARMS,
      targets: [
        { service: "api", url: "https://api.example.com" },
        { service: "dash", url: "http://127.0.0.1:47102" },
      ],
      rulesFile: "rules.yml",
      alertmanagers: ["127.0.0.1:47193"],
    });
    fs.writeFileSync(path.join(dir, "prometheus.yml"), text);
    const r = runPromtool(["check", "config", "prometheus.yml"], dir);
    assert.strictEqual(r.code, 0, r.output);
    assert.match(r.output, /SUCCESS: 1 rule files found/);
    const cfg = parse(text);
    assert.deepStrictEqual(
      cfg.scrape_configs.map(
        (j: { job_name: string; scheme: string; metrics_path: string; static_configs: unknown }) => [
          j.job_name,
          j.scheme,
          j.metrics_path,
          j.static_configs,
        ],
      ),
      [
        [
          "fleetgate-api",
          "https",
          "/metrics",
          [{ targets: ["api.example.com:443"], labels: { service: "api" } }],
        ],
        [
          "fleetgate-dash",
          "http",
          "/metrics",
          [{ targets: ["127.0.0.1:47102"], labels: { service: "dash" } }],
        ],
      ],
    );
    assert.deepStrictEqual(cfg.alerting.alertmanagers, [
      { static_configs: [{ targets: ["127.0.0.1:47193"] }] },
    ]);
  });
});
