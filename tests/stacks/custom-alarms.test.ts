/**
 * Custom alarms as plain data: the CloudWatch arguments and the Prometheus rule one entry of
 * `alarms.custom` becomes.
 */
import * as assert from "assert";
import { customMetricAlarmArgs } from "../../components/alarms/custom";
import { alarmsConfig } from "../../config/alarms";
import { buildPrometheusRules } from "../../lib/prometheus/rules";

const ALARMS = alarmsConfig.parse({
  severities: { P2: { responseMinutes: 30 } },
  custom: [
    {
      name: "slow_jobs",
      service: "api",
      metric: {
        namespace: "acme/jobs",
        metricName: "JobSeconds",
        statistic: "p95",
        dimensions: { Queue: "q" },
      },
      expr: 'histogram_quantile(0.95, sum by (le) (rate(job_seconds_bucket{queue="q"}[5m])))',
      comparison: ">=",
      threshold: 30,
      periodSeconds: 60,
      windowSeconds: 300,
      datapointsToAlarm: 3,
      severity: "P2",
    },
    {
      name: "cw_only",
      metric: { namespace: "acme/x", metricName: "Y" },
      comparison: "<",
      threshold: 1,
      windowSeconds: 60,
      severity: "P4",
    },
  ],
});

describe("custom alarms: definitions", () => {
  it("maps a percentile to extendedStatistic and the comparison to CloudWatch's name", () => {
    const args = customMetricAlarmArgs("acme-prod", ALARMS.custom[0]);
    assert.deepStrictEqual(args, {
      name: "acme-prod-slow_jobs",
      alarmDescription: "acme/jobs/JobSeconds (p95) >= 30",
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      threshold: 30,
      evaluationPeriods: 5,
      datapointsToAlarm: 3,
      treatMissingData: "missing",
      namespace: "acme/jobs",
      metricName: "JobSeconds",
      dimensions: { Queue: "q" },
      period: 60,
      extendedStatistic: "p95",
    });
    const plain: Record<string, unknown> = customMetricAlarmArgs("acme-prod", ALARMS.custom[1]);
    assert.strictEqual(plain.statistic, "Average");
    assert.strictEqual(plain.comparisonOperator, "LessThanThreshold");
    assert.ok(!("extendedStatistic" in plain));
  });

  it("emits a Prometheus rule only for alarms with an expr", () => {
    const rules = buildPrometheusRules({ fleet: "acme", environment: "prod", services: [], alarms: ALARMS })
      .groups[0].rules;
    assert.deepStrictEqual(rules, [
      {
        alert: "slow_jobs",
        expr: '(histogram_quantile(0.95, sum by (le) (rate(job_seconds_bucket{queue="q"}[5m])))) >= 30',
        for: "5m",
        labels: {
          severity: "P2",
          service: "api",
          fleet: "acme",
          environment: "prod",
          fleetgate_alarm: "custom",
          response_minutes: "30",
        },
        annotations: {
          summary: "slow_jobs: value >= 30",
          description: "slow_jobs is {{ $value }} (alarm when >= 30 for 5m).",
        },
      },
    ]);
  });
});
