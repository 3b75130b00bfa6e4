/**
 * What the alarms of one watched service are, as plain data derived from the validated config:
 * the Route 53 health check and the CloudWatch metric alarms. The component turns these into
 * resources; tests and docs read them directly.
 */
import { AlarmKind, AlarmsConfig, evaluationPeriods, Severity } from "../../config/alarms";

/** Route 53 publishes its metrics (HealthCheckStatus, TimeToFirstByte) in us-east-1 only. */
export const ROUTE53_METRICS_REGION = "us-east-1";

export interface HealthCheckDefinition {
  fqdn: string;
  port: number;
  type: "HTTPS" | "HTTP";
  resourcePath: string;
  requestInterval: number;
  failureThreshold: number;
  measureLatency: boolean;
}

/** A metric alarm on a Route 53 health check metric or on a metric-math expression. */
export interface MetricAlarmDefinition {
  kind: Exclude<AlarmKind, "composite">;
  severity: Severity;
  description: string;
  comparisonOperator: "LessThanThreshold" | "GreaterThanThreshold";
  threshold: number;
  period: number;
  evaluationPeriods: number;
  datapointsToAlarm: number;
  treatMissingData: "breaching" | "notBreaching" | "missing";
  /** A Route 53 metric of the health check (dimension HealthCheckId)... */
  healthCheckMetric?: { metricName: "HealthCheckStatus" | "TimeToFirstByte"; statistic: string };
  /** ...or the error rate from the services' own metrics. */
  errorRate?: { namespace: string; errors: string; requests: string; dimensions: Record<string, string> };
}

export interface ServiceTarget {
  name: string;
  /** Public base URL (https://<name>.onrender.com unless the service sets url). */
  url: string;
  healthCheckPath: string;
}

/** The Route 53 health check of a public URL plus path. */
export function healthCheckDefinition(target: ServiceTarget, alarms: AlarmsConfig): HealthCheckDefinition {
  const url = new URL(target.url);
  const https = url.protocol === "https:";
  const basePath = url.pathname.replace(/\/$/, "");
  return {
    fqdn: url.hostname,
    port: url.port ? Number(url.port) : https ? 443 : 80,
    type: https ? "HTTPS" : "HTTP",
    resourcePath: `${basePath}${target.healthCheckPath}` || "/",
    requestInterval: alarms.healthCheck.intervalSeconds,
    failureThreshold: alarms.healthCheck.failureThreshold,
    measureLatency: alarms.healthCheck.measureLatency,
  };
}

function windowOf(w: { periodSeconds: number; windowSeconds: number; datapointsToAlarm?: number }) {
  const n = evaluationPeriods(w);
  return { period: w.periodSeconds, evaluationPeriods: n, datapointsToAlarm: w.datapointsToAlarm ?? n };
}

/** The metric alarms of one service, in a stable order: service-down, latency, error-rate. */
export function metricAlarmDefinitions(service: string, alarms: AlarmsConfig): MetricAlarmDefinition[] {
  const defs: MetricAlarmDefinition[] = [
    {
      kind: "service-down",
      severity: alarms.serviceDown.severity,
      description: `${service} fails its Route 53 health check (health status below 1 for ${alarms.serviceDown.windowSeconds} s)`,
      comparisonOperator: "LessThanThreshold",
      threshold: 1,
      ...windowOf(alarms.serviceDown),
      // No health data at all means Route 53 cannot see the service: treat it as down.
      treatMissingData: "breaching",
      healthCheckMetric: { metricName: "HealthCheckStatus", statistic: "Minimum" },
    },
  ];
  if (alarms.healthCheck.measureLatency) {
    defs.push({
      kind: "latency",
      severity: alarms.latency.severity,
      description: `${service} time to first byte (${alarms.latency.statistic}) over ${alarms.latency.thresholdMs} ms for ${alarms.latency.windowSeconds} s`,
      comparisonOperator: "GreaterThanThreshold",
      threshold: alarms.latency.thresholdMs,
      ...windowOf(alarms.latency),
      // A down service has no latency samples; the service-down alarm covers it.
      treatMissingData: "missing",
      healthCheckMetric: { metricName: "TimeToFirstByte", statistic: alarms.latency.statistic },
    });
  }
  const metric = alarms.errorRate.metric;
  if (metric) {
    defs.push({
      kind: "error-rate",
      severity: alarms.errorRate.severity,
      description: `${service} answers more than ${alarms.errorRate.thresholdPercent}% of requests with errors for ${alarms.errorRate.windowSeconds} s`,
      comparisonOperator: "GreaterThanThreshold",
      threshold: alarms.errorRate.thresholdPercent,
      ...windowOf(alarms.errorRate),
      // No requests, no errors.
      treatMissingData: "notBreaching",
      errorRate: {
        namespace: metric.namespace,
        errors: metric.errors,
        requests: metric.requests,
        dimensions: Object.fromEntries(
          Object.entries(metric.dimensions).map(([k, v]) => [k, v.split("{service}").join(service)]),
        ),
      },
    });
  }
  return defs;
}

/**
 * The api-down composite rule: the service is down AND a second signal (errors or latency)
 * agrees, so one flaky checker region cannot page P1 on its own. Undefined without a second signal.
 */
export function compositeRule(
  names: Partial<Record<MetricAlarmDefinition["kind"], string>>,
): string | undefined {
  const down = names["service-down"];
  const second = [names["error-rate"], names.latency].filter((n): n is string => n !== undefined);
  if (!down || second.length === 0) return undefined;
  const alarm = (n: string) => `ALARM(${JSON.stringify(n)})`;
  const others = second.length === 1 ? alarm(second[0]) : `(${second.map(alarm).join(" OR ")})`;
  return `${alarm(down)} AND ${others}`;
}
