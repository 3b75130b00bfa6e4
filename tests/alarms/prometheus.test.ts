/**
 * Prometheus rules: every generated file passes `promtool check rules`, and `promtool test rules`
 * proves each alert fires on bad series and stays quiet on good ones.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { stringify } from "yaml";
import { alarmsConfig } from "../../config/alarms";
import { buildPrometheusRules, promDuration, renderPrometheusRules } from "../../lib/prometheus/rules";
import { writePrometheusRules } from "../../scripts/write-prometheus-rules";
import { REPO_ROOT, tempDir } from "../support/engine";
import { runPromtool as run } from "../support/promtool";

const ALARMS = alarmsConfig.parse({
  serviceDown: { severity: "P2", windowSeconds: 60 },
  latency: { thresholdMs: 2000, windowSeconds: 300, severity: "P3", quantiles: [0.95, 0.99] },
  errorRate: { thresholdPercent: 5, windowSeconds: 600, severity: "P1" },
  severities: { P1: { responseMinutes: 0 }, P2: { responseMinutes: 5 } },
});
const INPUT = { fleet: "shop", environment: "prod", services: ["api", "dash"], alarms: ALARMS };

/** Labels the test expects on an alert: written out here, not copied from the generated rule. */
function expLabels(service: string, kind: string, severity: string, responseMinutes: string) {
  return {
    service,
    severity,
    fleet: "shop",
    environment: "prod",
    fleetgate_alarm: kind,
    response_minutes: responseMinutes,
  };
}

/** Cumulative counter series: `perMinute` more every minute for 40 minutes. */
const counter = (perMinute: number) => `0+${perMinute}x40`;

function unitTests() {
  // api: always down, 10 % 5xx, every request between 2.5 s and 5 s. dash: the opposite.
  const series = [
    { series: 'up{service="api"}', values: "0x40" },
    { series: 'up{service="dash"}', values: "1x40" },
    { series: 'http_requests_total{service="api",code="200"}', values: counter(90) },
    { series: 'http_requests_total{service="api",code="500"}', values: counter(10) },
    { series: 'http_requests_total{service="dash",code="200"}', values: counter(99) },
    { series: 'http_requests_total{service="dash",code="503"}', values: counter(1) },
    ...["0.5", "1", "2.5"].map((le) => ({
      series: `http_request_duration_seconds_bucket{service="api",le="${le}"}`,
      values: counter(0),
    })),
    ...["5", "+Inf"].map((le) => ({
      series: `http_request_duration_seconds_bucket{service="api",le="${le}"}`,
      values: counter(100),
    })),
    ...["0.5", "1", "2.5", "5", "+Inf"].map((le) => ({
      series: `http_request_duration_seconds_bucket{service="dash",le="${le}"}`,
      values: counter(100),
    })),
  ];
  const quiet = (alertname: string, evalTime: string) => ({ eval_time: evalTime, alertname, exp_alerts: [] });
  return {
    rule_files: ["rules.yml"],
    evaluation_interval: "1m",
    tests: [
      {
        interval: "1m",
        input_series: series,
        alert_rule_test: [
          // Pending, not yet firing: the `for` windows hold the alerts back.
          quiet("ServiceDown", "30s"),
          quiet("HighErrorRate", "8m"),
          quiet("HighLatencyP95", "4m"),
          {
            eval_time: "5m",
            alertname: "ServiceDown",
            exp_alerts: [
              {
                exp_labels: expLabels("api", "service-down", "P2", "5"),
                exp_annotations: {
                  summary: "api is down",
                  description: "No successful scrape of api (prod) for 1m.",
                },
              },
            ],
          },
          {
            eval_time: "20m",
            alertname: "HighErrorRate",
            exp_alerts: [
              {
                exp_labels: expLabels("api", "error-rate", "P1", "0"),
                exp_annotations: {
                  summary: "api answers more than 5% of requests with 5xx",
                  description: "api error rate is 10.0% (budget 5%).",
                },
              },
            ],
          },
          ...[
            ["HighLatencyP95", "p95", "4.875"],
            ["HighLatencyP99", "p99", "4.975"],
          ].map(([alertname, q, value]) => ({
            eval_time: "15m",
            alertname,
            exp_alerts: [
              {
                exp_labels: expLabels("api", "latency", "P3", "15"),
                exp_annotations: {
                  summary: `api ${q} latency is over 2000 ms`,
                  description: `api ${q} latency is ${value} s (budget 2 s).`,
                },
              },
            ],
          })),
        ],
      },
    ],
  };
}

describe("alarms: Prometheus rules", function () {
  this.timeout(120_000);
  let dir: string;

  before(() => {
    dir = tempDir("prom");
    fs.writeFileSync(path.join(dir, "rules.yml"), renderPrometheusRules(INPUT));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("generates ServiceDown, HighErrorRate and HighLatency per quantile for every service", () => {
    const rules = buildPrometheusRules(INPUT).groups[0].rules;
    assert.deepStrictEqual(
      rules.map((r) => `${r.labels.service}:${r.alert}:${r.for}`),
      ["api", "dash"].flatMap((s) => [
        `${s}:ServiceDown:1m`,
        `${s}:HighErrorRate:10m`,
        `${s}:HighLatencyP95:5m`,
        `${s}:HighLatencyP99:5m`,
      ]),
    );
    assert.strictEqual(rules[0].expr, 'up{service="api"} == 0 or absent(up{service="api"})');
    assert.match(rules[1].expr, / > 5$/);
    assert.match(rules[2].expr, /^histogram_quantile\(0\.95, .*\) > 2$/);
  });

  it("formats durations the way Prometheus reads them", () => {
    assert.deepStrictEqual([60, 90, 600, 3600, 5400].map(promDuration), ["1m", "90s", "10m", "1h", "90m"]);
  });

  it("passes promtool check rules", () => {
    const r = run(["check", "rules", "rules.yml"], dir);
    assert.strictEqual(r.code, 0, r.output);
    assert.match(r.output, /SUCCESS: 8 rules found/);
  });

  it("fires each alert on bad series and stays quiet on good ones (promtool test rules)", () => {
    fs.writeFileSync(path.join(dir, "tests.yml"), stringify(unitTests()));
    const r = run(["test", "rules", "tests.yml"], dir);
    assert.strictEqual(r.code, 0, r.output);
    assert.match(r.output, /SUCCESS/);
  });

  it("promtool test rules fails when a threshold would not fire (the test can fail)", () => {
    // Same series, but a 20 % error budget: the expected HighErrorRate alert must not appear.
    const lenient = {
      ...INPUT,
      alarms: { ...ALARMS, errorRate: { ...ALARMS.errorRate, thresholdPercent: 20 } },
    };
    fs.writeFileSync(path.join(dir, "rules.yml"), renderPrometheusRules(lenient));
    try {
      const r = run(["test", "rules", "tests.yml"], dir);
      assert.notStrictEqual(r.code, 0, r.output);
      assert.match(r.output, /alertname: HighErrorRate/);
    } finally {
      fs.writeFileSync(path.join(dir, "rules.yml"), renderPrometheusRules(INPUT));
    }
  });

  it("ServiceDown fires for a service whose series is absent (never scraped or gone), not only on up == 0", () => {
    const input = { ...INPUT, services: ["api", "ghost"] };
    fs.writeFileSync(path.join(dir, "absent.rules.yml"), renderPrometheusRules(input));
    const down = (service: string) => ({
      exp_labels: expLabels(service, "service-down", "P2", "5"),
      exp_annotations: {
        summary: `${service} is down`,
        description: `No successful scrape of ${service} (prod) for 1m.`,
      },
    });
    const tests = {
      rule_files: ["absent.rules.yml"],
      evaluation_interval: "1m",
      tests: [
        {
          interval: "1m",
          // api is scraped and up until minute 10, then its target vanishes; ghost never had one.
          input_series: [{ series: 'up{service="api",job="fleetgate-api"}', values: "1x10" }],
          alert_rule_test: [
            { eval_time: "5m", alertname: "ServiceDown", exp_alerts: [down("ghost")] },
            { eval_time: "20m", alertname: "ServiceDown", exp_alerts: [down("api"), down("ghost")] },
          ],
        },
      ],
    };
    fs.writeFileSync(path.join(dir, "absent.tests.yml"), stringify(tests));
    const r = run(["test", "rules", "absent.tests.yml"], dir);
    assert.strictEqual(r.code, 0, r.output);
    // Without the absent() branch the same test fails: the rule would stay silent.
    const onlyUp = renderPrometheusRules(input).replace(/ or absent\(up\{service="[a-z]+"\}\)/g, "");
    fs.writeFileSync(path.join(dir, "absent.rules.yml"), onlyUp);
    const r2 = run(["test", "rules", "absent.tests.yml"], dir);
    assert.notStrictEqual(r2.code, 0, r2.output);
  });

  for (const stack of ["dev", "prod"]) {
    it(`writes a valid rules file for the shipped ${stack} stack`, () => {
      const out = writePrometheusRules(
        path.join(REPO_ROOT, `Pulumi.${stack}.yaml`),
        path.join(dir, `${stack}.rules.yml`),
      );
      const text = fs.readFileSync(out, "utf8");
      assert.match(text, /service: refapp-api/);
      assert.match(text, /service: refapp-dashboard/);
      const r = run(["check", "rules", out], dir);
      assert.strictEqual(r.code, 0, r.output);
    });
  }
});
