/**
 * Custom alarms (alarms.custom): CloudWatch alarms on a metric the application publishes, such
 * as engine ticks, queue depth or connection-pool use. Alarms that only carry a Prometheus
 * `expr` become rules in lib/prometheus/rules.ts instead and register nothing here.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import {
  AlarmsConfig,
  Comparison,
  CustomAlarmConfig,
  evaluationPeriods,
  Severity,
} from "../../config/alarms";

/** CloudWatch's name for each comparison of the config. */
export const CLOUDWATCH_COMPARISON: Record<Comparison, string> = {
  ">": "GreaterThanThreshold",
  ">=": "GreaterThanOrEqualToThreshold",
  "<": "LessThanThreshold",
  "<=": "LessThanOrEqualToThreshold",
};

/** The arguments of one custom CloudWatch alarm, as plain data (tests read them directly). */
export function customMetricAlarmArgs(prefix: string, c: CustomAlarmConfig) {
  const m = c.metric!;
  const n = evaluationPeriods(c);
  const isPercentile = /^p\d/.test(m.statistic);
  return {
    name: `${prefix}-${c.name}`,
    alarmDescription:
      c.description ?? `${m.namespace}/${m.metricName} (${m.statistic}) ${c.comparison} ${c.threshold}`,
    comparisonOperator: CLOUDWATCH_COMPARISON[c.comparison],
    threshold: c.threshold,
    evaluationPeriods: n,
    datapointsToAlarm: c.datapointsToAlarm ?? n,
    treatMissingData: c.missingData,
    namespace: m.namespace,
    metricName: m.metricName,
    dimensions: m.dimensions,
    period: c.periodSeconds,
    ...(isPercentile ? { extendedStatistic: m.statistic } : { statistic: m.statistic }),
  };
}

/** One MetricAlarm per custom alarm that names a CloudWatch metric. */
export function customMetricAlarms(
  name: string,
  prefix: string,
  alarms: AlarmsConfig,
  baseTags: Record<string, string>,
  actionsOf: (sev: Severity) => { alarmActions: pulumi.Input<string>[]; okActions: pulumi.Input<string>[] },
  region: string,
  parent: pulumi.Resource,
): aws.cloudwatch.MetricAlarm[] {
  return alarms.custom
    .filter((c) => c.metric)
    .map(
      (c) =>
        new aws.cloudwatch.MetricAlarm(
          `${name}-custom-${c.name}`,
          {
            ...customMetricAlarmArgs(prefix, c),
            ...actionsOf(c.severity),
            region,
            tags: {
              ...baseTags,
              ...(c.service ? { "fleetgate:service": c.service } : {}),
              "fleetgate:alarm": "custom",
              "fleetgate:custom-alarm": c.name,
              "fleetgate:severity": c.severity,
            },
          },
          { parent },
        ),
    );
}
