/**
 * The Prometheus rules of the example stacks, generated from their config: every file passes
 * `promtool check rules`; MadBase's three rules and the custom alarms (Atlas UX, Haven, HotDash)
 * fire on bad series and stay quiet on good ones under `promtool test rules`.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { stringify } from "yaml";
import { prometheusInputForStack, renderPrometheusRules } from "../../lib/prometheus/rules";
import type { StackConfig } from "../../config/schema";
import { tempDir } from "../support/engine";
import { runPromtool as run } from "../support/promtool";
import { EXAMPLE_STACKS, ExampleStack, validateExample } from "./support";

function configOf(stack: ExampleStack): StackConfig {
  const r = validateExample(stack);
  if (!r.ok) assert.fail(JSON.stringify(r.issues));
  return r.config;
}

function rulesOf(config: StackConfig): string {
  return renderPrometheusRules(prometheusInputForStack(config)!);
}

interface AlertTest {
  eval_time: string;
  alertname: string;
  exp_alerts: { exp_labels: Record<string, string>; exp_annotations: Record<string, string> }[];
}

/** Runs promtool test rules over `rules` with the given series and alert expectations. */
function promtoolTest(
  dir: string,
  rules: string,
  series: { series: string; values: string }[],
  alerts: AlertTest[],
): { code: number; output: string } {
  fs.writeFileSync(path.join(dir, "rules.yml"), rules);
  const tests = {
    rule_files: ["rules.yml"],
    evaluation_interval: "1m",
    tests: [{ interval: "1m", input_series: series, alert_rule_test: alerts }],
  };
  fs.writeFileSync(path.join(dir, "tests.yml"), stringify(tests));
  return run(["test", "rules", "tests.yml"], dir);
}

const quiet = (alertname: string, evalTime: string): AlertTest => ({
  eval_time: evalTime,
  alertname,
  exp_alerts: [],
});
/** Cumulative counter: `perMinute` more every minute for 40 minutes. */
const counter = (perMinute: number) => `0+${perMinute}x40`;

describe("example stacks: Prometheus rules", function () {
  this.timeout(120_000);
  let dir: string;
  before(() => (dir = tempDir("stack-rules")));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  for (const stack of EXAMPLE_STACKS) {
    it(`${stack}: the generated rules pass promtool check rules`, () => {
      fs.writeFileSync(path.join(dir, `${stack}.yml`), rulesOf(configOf(stack)));
      const r = run(["check", "rules", `${stack}.yml`], dir);
      assert.strictEqual(r.code, 0, r.output);
    });
  }

  describe("MadBase: ServiceDown, HighErrorRate, HighLatency", () => {
    const labels = (kind: string, severity: string, responseMinutes: string) => ({
      service: "madbase-gateway",
      severity,
      fleet: "madbase",
      environment: "prod",
      fleetgate_alarm: kind,
      response_minutes: responseMinutes,
    });
    // The gateway: down, 10 % 5xx, every request between 2.5 s and 5 s.
    const series = [
      { series: 'up{service="madbase-gateway"}', values: "0x40" },
      { series: 'http_requests_total{service="madbase-gateway",status="200"}', values: counter(90) },
      { series: 'http_requests_total{service="madbase-gateway",status="502"}', values: counter(10) },
      ...["0.5", "1", "2.5"].map((le) => ({
        series: `http_request_duration_seconds_bucket{service="madbase-gateway",le="${le}"}`,
        values: counter(0),
      })),
      ...["5", "+Inf"].map((le) => ({
        series: `http_request_duration_seconds_bucket{service="madbase-gateway",le="${le}"}`,
        values: counter(100),
      })),
    ];
    const alerts: AlertTest[] = [
      quiet("ServiceDown", "30s"),
      quiet("HighErrorRate", "4m"),
      quiet("HighLatencyP95", "4m"),
      {
        eval_time: "3m",
        alertname: "ServiceDown",
        exp_alerts: [
          {
            exp_labels: labels("service-down", "P1", "0"),
            exp_annotations: {
              summary: "madbase-gateway is down",
              description: "No successful scrape of madbase-gateway (prod) for 1m.",
            },
          },
        ],
      },
      {
        eval_time: "12m",
        alertname: "HighErrorRate",
        exp_alerts: [
          {
            exp_labels: labels("error-rate", "P3", "60"),
            exp_annotations: {
              summary: "madbase-gateway answers more than 5% of requests with 5xx",
              description: "madbase-gateway error rate is 10.0% (budget 5%).",
            },
          },
        ],
      },
      {
        eval_time: "12m",
        alertname: "HighLatencyP95",
        exp_alerts: [
          {
            exp_labels: labels("latency", "P3", "60"),
            exp_annotations: {
              summary: "madbase-gateway p95 latency is over 2000 ms",
              description: "madbase-gateway p95 latency is 4.875 s (budget 2 s).",
            },
          },
        ],
      },
    ];

    it("has the rules of alerts.yml and the completion list: per gateway, p99, and ServiceDown on every target", () => {
      const rules = prometheusInputForStack(configOf("madbase"))!;
      const text = renderPrometheusRules(rules);
      const names = [...text.matchAll(/- alert: (\S+)/g)].map((m) => m[1]);
      assert.deepStrictEqual(names, [
        "ServiceDown",
        "HighErrorRate",
        "HighLatencyP95",
        "HighLatencyP99",
        "service_down_any_target",
      ]);
    });

    it("ServiceDown fires for a private scrape target after 1m, and the p99 rule fires with the p95 one", () => {
      const down = [
        { series: 'up{job="madbase-proxy",instance="madbase-proxy:8000"}', values: "1 1 0x40" },
        { series: 'up{job="madbase-gateway",instance="madbase-gateway:8000"}', values: "1x40" },
      ];
      const withoutGatewayUp = series.filter((x) => !x.series.startsWith("up{"));
      const r = promtoolTest(
        dir,
        rulesOf(configOf("madbase")),
        [...withoutGatewayUp, ...down],
        [
          quiet("service_down_any_target", "2m"),
          {
            eval_time: "5m",
            alertname: "service_down_any_target",
            exp_alerts: [
              {
                exp_labels: {
                  job: "madbase-proxy",
                  instance: "madbase-proxy:8000",
                  severity: "P1",
                  fleet: "madbase",
                  environment: "prod",
                  fleetgate_alarm: "custom",
                  response_minutes: "0",
                },
                exp_annotations: {
                  summary: "A scrape target (any MadBase service) has been down for 1m",
                  description: "service_down_any_target is 0 (alarm when < 1 for 1m).",
                },
              },
            ],
          },
          {
            eval_time: "12m",
            alertname: "HighLatencyP99",
            exp_alerts: [
              {
                exp_labels: labels("latency", "P3", "60"),
                exp_annotations: {
                  summary: "madbase-gateway p99 latency is over 2000 ms",
                  description: "madbase-gateway p99 latency is 4.975 s (budget 2 s).",
                },
              },
            ],
          },
        ],
      );
      assert.strictEqual(r.code, 0, r.output);
    });

    it("fire on a failing gateway (promtool test rules)", () => {
      const r = promtoolTest(dir, rulesOf(configOf("madbase")), series, alerts);
      assert.strictEqual(r.code, 0, r.output);
      assert.match(r.output, /SUCCESS/);
    });

    it("stay quiet on a healthy gateway", () => {
      const healthy = [
        { series: 'up{service="madbase-gateway"}', values: "1x40" },
        { series: 'http_requests_total{service="madbase-gateway",status="200"}', values: counter(100) },
        ...["0.5", "1", "2.5", "5", "+Inf"].map((le) => ({
          series: `http_request_duration_seconds_bucket{service="madbase-gateway",le="${le}"}`,
          values: counter(100),
        })),
      ];
      const r = promtoolTest(dir, rulesOf(configOf("madbase")), healthy, [
        quiet("ServiceDown", "20m"),
        quiet("HighErrorRate", "20m"),
        quiet("HighLatencyP95", "20m"),
        quiet("HighLatencyP99", "20m"),
      ]);
      assert.strictEqual(r.code, 0, r.output);
    });

    it("the test can fail: a lenient error threshold does not fire", () => {
      const lenient = configOf("madbase");
      lenient.alarms!.errorRate.thresholdPercent = 20;
      const r = promtoolTest(dir, rulesOf(lenient), series, alerts);
      assert.notStrictEqual(r.code, 0, r.output);
      assert.match(r.output, /alertname: HighErrorRate/);
    });
  });

  describe("custom alarms", () => {
    const custom = (stack: string, name: string, severity: string, minutes: string, service?: string) => ({
      severity,
      ...(service ? { service } : {}),
      fleet: stack,
      environment: "prod",
      fleetgate_alarm: "custom",
      response_minutes: minutes,
      alertname: name,
    });
    const withoutName = ({ alertname: _a, ...rest }: Record<string, string>) => rest;

    it("Atlas UX: engine_stalled fires when ticks stop; high_queue_depth and db_connections_high over their limits", () => {
      const series = [
        // 12 ticks a minute for 10 minutes, then none.
        { series: "engine_tick_duration_seconds_count", values: "0+12x10 120x30" },
        { series: 'jobs_queued_total{type="email"}', values: "150x40" },
        { series: 'jobs_completed_total{type="email"}', values: "20x40" },
        { series: "db_connection_pool_active", values: "18x40" },
        { series: "db_connection_pool_idle", values: "2x40" },
      ];
      const cfg = configOf("atlasux");
      const one = (
        name: string,
        severity: string,
        minutes: string,
        service: string,
        summary: string,
        description: string,
      ) => ({
        exp_labels: withoutName(custom("atlasux", name, severity, minutes, service)),
        exp_annotations: { summary, description },
      });
      const r = promtoolTest(dir, rulesOf(cfg), series, [
        quiet("engine_stalled", "8m"),
        {
          eval_time: "14m",
          alertname: "engine_stalled",
          exp_alerts: [
            one(
              "engine_stalled",
              "P2",
              "60",
              "atlasux-engine",
              "the engine loop has not ticked for 60 s",
              "engine_stalled is 0 (alarm when < 1 for 1m).",
            ),
          ],
        },
        quiet("high_queue_depth", "10m"),
        {
          eval_time: "20m",
          alertname: "high_queue_depth",
          exp_alerts: [
            one(
              "high_queue_depth",
              "P3",
              "240",
              "atlasux-engine",
              "more than 100 jobs queued for 15 minutes",
              "high_queue_depth is 130 (alarm when > 100 for 15m).",
            ),
          ],
        },
        quiet("db_connections_high", "5m"),
        {
          eval_time: "15m",
          alertname: "db_connections_high",
          exp_alerts: [
            one(
              "db_connections_high",
              "P3",
              "240",
              "atlasux-api",
              "more than 80 % of the database pool in use for 10 minutes",
              "db_connections_high is 90 (alarm when > 80 for 10m).",
            ),
          ],
        },
      ]);
      assert.strictEqual(r.code, 0, r.output);
    });

    it("Haven: stalled chunks fire after 10 minutes over 30 minutes old", () => {
      const r = promtoolTest(
        dir,
        rulesOf(configOf("haven")),
        [{ series: "haven_chunks_pending_oldest_seconds", values: "600x5 2400x30" }],
        [
          quiet("chunks_pending_stalled", "10m"),
          {
            eval_time: "20m",
            alertname: "chunks_pending_stalled",
            exp_alerts: [
              {
                exp_labels: withoutName(
                  custom("haven", "chunks_pending_stalled", "P2", "5", "haven-embedding"),
                ),
                exp_annotations: {
                  summary: "chunks waiting for an embedding for more than 30 minutes",
                  description: "chunks_pending_stalled is 2400 (alarm when > 1800 for 10m).",
                },
              },
            ],
          },
        ],
      );
      assert.strictEqual(r.code, 0, r.output);
    });

    it("HotDash: any 5xx of a Fly.io app fires P1 at once", () => {
      const r = promtoolTest(
        dir,
        rulesOf(configOf("hotdash")),
        [
          {
            series: 'fly_edge_http_responses_count{app="hotdash-staging",status="200"}',
            values: counter(60),
          },
          {
            series: 'fly_edge_http_responses_count{app="hotdash-staging",status="503"}',
            values: "0x10 1x30",
          },
          {
            series: 'fly_edge_http_responses_count{app="hotdash-agent-service",status="200"}',
            values: counter(60),
          },
        ],
        [
          quiet("fly_any_5xx", "8m"),
          {
            eval_time: "12m",
            alertname: "fly_any_5xx",
            exp_alerts: [
              {
                exp_labels: {
                  ...withoutName(custom("hotdash", "fly_any_5xx", "P1", "0")),
                  app: "hotdash-staging",
                },
                exp_annotations: {
                  summary: "a Fly.io app answered with a 5xx",
                  description: "fly_any_5xx is 1 (alarm when > 0 for 1m).",
                },
              },
            ],
          },
        ],
      );
      assert.strictEqual(r.code, 0, r.output);
    });
  });
});
