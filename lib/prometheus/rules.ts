/**
 * Prometheus alerting rules generated from the same alarm thresholds as CloudWatch, for teams
 * that scrape their own metrics: ServiceDown, HighErrorRate and HighLatency (one rule per
 * configured quantile), one set per watched service; plus one rule per custom alarm with an `expr`.
 */
import { stringify } from "yaml";
import { AlarmKind, AlarmsConfig, Severity, severityLadder, watchedServices } from "../../config/alarms";

export interface PrometheusRulesInput {
  fleet: string;
  environment: string;
  /** Names of the watched services. */
  services: string[];
  alarms: AlarmsConfig;
}

export interface AlertingRule {
  alert: string;
  expr: string;
  for: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface RuleFile {
  groups: { name: string; rules: AlertingRule[] }[];
}

/** Seconds as a Prometheus duration: 60 → 1m, 90 → 90s, 3600 → 1h. */
export function promDuration(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}

/** A PromQL string literal (label values are service names, but quote them properly anyway). */
function quote(value: string): string {
  return JSON.stringify(value);
}

/** "0.95" → "P95", "0.999" → "P99_9": the alert name suffix of a quantile. */
function quantileName(q: number): string {
  return "P" + String(Math.round(q * 1000) / 10).replace(".", "_");
}

export function buildPrometheusRules(input: PrometheusRulesInput): RuleFile {
  const { alarms } = input;
  const p = alarms.prometheus;
  const ladder = severityLadder(alarms);
  const labels = (service: string, kind: AlarmKind, severity: Severity) => ({
    severity,
    service,
    fleet: input.fleet,
    environment: input.environment,
    fleetgate_alarm: kind,
    response_minutes: String(ladder[severity].responseMinutes),
  });

  const rules: AlertingRule[] = [];
  for (const service of input.services) {
    const sel = `${p.serviceLabel}=${quote(service)}`;
    rules.push({
      alert: "ServiceDown",
      // A failed scrape (up == 0) or no series at all: a target that vanished from discovery,
      // or was never scraped, must not stay silent.
      expr: `up{${sel}} == 0 or absent(up{${sel}})`,
      for: promDuration(alarms.serviceDown.windowSeconds),
      labels: labels(service, "service-down", alarms.serviceDown.severity),
      annotations: {
        summary: `${service} is down`,
        description: `No successful scrape of ${service} (${input.environment}) for ${promDuration(alarms.serviceDown.windowSeconds)}.`,
      },
    });

    const errors = `sum(rate(${p.requestsMetric}{${sel},${p.statusLabel}=~"5.."}[${p.rateWindow}]))`;
    const total = `sum(rate(${p.requestsMetric}{${sel}}[${p.rateWindow}]))`;
    rules.push({
      alert: "HighErrorRate",
      expr: `100 * ${errors} / ${total} > ${alarms.errorRate.thresholdPercent}`,
      for: promDuration(alarms.errorRate.windowSeconds),
      labels: labels(service, "error-rate", alarms.errorRate.severity),
      annotations: {
        summary: `${service} answers more than ${alarms.errorRate.thresholdPercent}% of requests with 5xx`,
        description: `${service} error rate is {{ $value | printf "%.1f" }}% (budget ${alarms.errorRate.thresholdPercent}%).`,
      },
    });

    const budgetSeconds = alarms.latency.thresholdMs / 1000;
    for (const q of alarms.latency.quantiles) {
      rules.push({
        alert: `HighLatency${quantileName(q)}`,
        expr:
          `histogram_quantile(${q}, sum by (le) (rate(${p.latencyHistogram}_bucket{${sel}}[${p.rateWindow}])))` +
          ` > ${budgetSeconds}`,
        for: promDuration(alarms.latency.windowSeconds),
        labels: labels(service, "latency", alarms.latency.severity),
        annotations: {
          summary: `${service} ${quantileName(q).toLowerCase()} latency is over ${alarms.latency.thresholdMs} ms`,
          description: `${service} ${quantileName(q).toLowerCase()} latency is {{ $value | printf "%.3f" }} s (budget ${budgetSeconds} s).`,
        },
      });
    }
  }
  for (const c of alarms.custom) {
    if (!c.expr) continue;
    rules.push({
      alert: c.name,
      expr: `(${c.expr}) ${c.comparison} ${c.threshold}`,
      for: promDuration(c.windowSeconds),
      labels: {
        severity: c.severity,
        ...(c.service ? { service: c.service } : {}),
        fleet: input.fleet,
        environment: input.environment,
        fleetgate_alarm: "custom",
        response_minutes: String(ladder[c.severity].responseMinutes),
      },
      annotations: {
        summary: c.description ?? `${c.name}: value ${c.comparison} ${c.threshold}`,
        description: `${c.name} is {{ $value }} (alarm when ${c.comparison} ${c.threshold} for ${promDuration(c.windowSeconds)}).`,
      },
    });
  }
  return { groups: [{ name: `fleetgate-${input.fleet}-${input.environment}`, rules }] };
}

/** The rules file as YAML (what `promtool check rules` and Prometheus read). */
export function renderPrometheusRules(input: PrometheusRulesInput): string {
  const header = `# Generated by fleetgate from the alarms config of ${input.fleet} (${input.environment}); do not edit.\n`;
  return header + stringify(buildPrometheusRules(input), { lineWidth: 0 });
}

/** The rules input of a validated stack: its fleet name, environment and watched services. */
export function prometheusInputForStack(cfg: {
  fleet: { name: string; environment: string; services: { name: string; type: string }[] };
  platform: { kind: string };
  alarms?: AlarmsConfig;
}): PrometheusRulesInput | undefined {
  if (!cfg.alarms) return undefined;
  return {
    fleet: cfg.fleet.name,
    environment: cfg.fleet.environment,
    services: watchedServices(cfg),
    alarms: cfg.alarms,
  };
}
