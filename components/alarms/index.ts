/**
 * Alarms declared beside the services they watch, with thresholds from the stack config:
 * per public service a Route 53 health check, CloudWatch alarms (service down, latency, error
 * rate) and an api-down composite; SNS topics per severity with their subscriptions; the
 * scheduled health monitor; and the Prometheus rules generated from the same thresholds.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { alarmsStackIssues, AlarmsConfig, Severity, SEVERITIES, watchedServices } from "../../config/alarms";
import { formatPath, StackConfig } from "../../config/schema";
import { prometheusInputForStack, renderPrometheusRules } from "../../lib/prometheus/rules";
import { s3TargetOf } from "../../lib/ledger/backend";
import { HealthMonitor } from "../monitor";
import { monitorPlan } from "../monitor/plan";
import { secretSlotsOf, slotKey } from "../../lambda/monitor/plan";
import { DeployedService } from "../platform";
import { SecretResolver } from "../secrets";
import {
  compositeRule,
  healthCheckDefinition,
  MetricAlarmDefinition,
  metricAlarmDefinitions,
  ROUTE53_METRICS_REGION,
} from "./definitions";
import { customMetricAlarms } from "./custom";
import { severityTopics } from "./topics";
import { servicePublicUrl } from "./targets";
import { alertmanagerConfigOutput, prometheusServerConfig } from "./server-configs";

export interface AlarmsArgs {
  /** The validated stack config; its `alarms` section must be set. */
  config: StackConfig;
  /** Resolves secret references (SMS numbers, webhook URLs, the monitor's check secrets). */
  secrets: SecretResolver;
  /**
   * The deployed services (Fleet's platform result): a health check waits for its service to be
   * ready, so a first deploy does not page. Optional for standalone use.
   */
  services?: Record<string, Pick<DeployedService, "ready">>;
}

export class Alarms extends pulumi.ComponentResource {
  /** SNS topic ARN per severity (P1-P4). */
  public readonly topicArns: Record<Severity, pulumi.Output<string>>;
  /** Route 53 health check id per watched service. */
  public readonly healthCheckIds: Record<string, pulumi.Output<string>>;
  /** Names of every metric and composite alarm. */
  public readonly alarmNames: pulumi.Output<string[]>;
  /** The Prometheus rules file (YAML) generated from the same thresholds. */
  public readonly prometheusRules: string;
  /**
   * The Alertmanager config (YAML, secret: it holds webhook URLs and keys) routing the rules'
   * alerts to the severities' channels, when `alarms.alertmanager` or `alarms.localMonitoring` is set.
   */
  public readonly alertmanagerConfig?: pulumi.Output<string>;
  /** The Prometheus server config scraping every watched service (rules file `rules.yml` beside it). */
  public readonly prometheusConfig: string;
  public readonly monitor?: HealthMonitor;

  constructor(name: string, args: AlarmsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("fleetgate:alarms:Alarms", name, {}, opts);
    const cfg = args.config;
    const alarms = cfg.alarms;
    if (!alarms)
      throw new Error("Alarms: config.alarms is not set; add a fleetgate:alarms section to the stack config");
    // The schema already checked these; a hand-built config gets the same messages.
    const issues = alarmsStackIssues(cfg);
    if (issues.length) throw new Error(issues.map((i) => `${formatPath(i.path)}: ${i.message}`).join("\n"));

    const prometheus = prometheusInputForStack(cfg)!;
    this.prometheusRules = renderPrometheusRules(prometheus);
    this.prometheusConfig = prometheusServerConfig(cfg, "rules.yml", []);
    if (alarms.alertmanager || alarms.localMonitoring)
      this.alertmanagerConfig = alertmanagerConfigOutput(cfg, args.secrets);
    this.healthCheckIds = {};
    const names: pulumi.Output<string>[] = [];
    if (!alarms.cloudwatch) {
      this.topicArns = {} as Record<Severity, pulumi.Output<string>>;
      this.alarmNames = pulumi.output([]);
      this.registerOutputs({
        prometheusRules: this.prometheusRules,
        prometheusConfig: this.prometheusConfig,
        alertmanagerConfig: this.alertmanagerConfig,
      });
      return;
    }

    const prefix = `${cfg.fleet.name}-${cfg.fleet.environment}`;
    const baseTags = { "fleetgate:fleet": cfg.fleet.name, "fleetgate:environment": cfg.fleet.environment };
    const region = ROUTE53_METRICS_REGION;
    const { topics } = severityTopics(name, prefix, alarms, args.secrets, {
      parent: this,
      region,
      tags: baseTags,
    });
    this.topicArns = Object.fromEntries(SEVERITIES.map((s) => [s, topics[s].arn])) as Record<
      Severity,
      pulumi.Output<string>
    >;
    const actionsOf = (sev: Severity) => ({ alarmActions: [topics[sev].arn], okActions: [topics[sev].arn] });

    for (const serviceName of watchedServices(cfg)) {
      // A watched name is a fleet service or an external target (a fleet that deploys nothing).
      const service =
        cfg.fleet.services.find((s) => s.name === serviceName) ??
        cfg.fleet.externalTargets.find((t) => t.name === serviceName)!;
      const tags = { ...baseTags, "fleetgate:service": serviceName };
      const hc = healthCheckDefinition(
        {
          name: serviceName,
          url: servicePublicUrl(service),
          healthCheckPath: service.healthCheckPath ?? "/",
        },
        alarms,
      );
      const healthCheck = new aws.route53.HealthCheck(
        `${name}-${serviceName}-health`,
        {
          ...hc,
          enableSni: hc.type === "HTTPS" ? true : undefined,
          tags: { ...tags, Name: `${prefix}-${serviceName}` },
        },
        { parent: this, dependsOn: args.services?.[serviceName]?.ready ?? [] },
      );
      this.healthCheckIds[serviceName] = healthCheck.id;

      const alarmNames: Partial<Record<MetricAlarmDefinition["kind"], string>> = {};
      const metricAlarms: aws.cloudwatch.MetricAlarm[] = [];
      for (const def of metricAlarmDefinitions(serviceName, alarms)) {
        const alarmName = `${prefix}-${serviceName}-${def.kind}`;
        alarmNames[def.kind] = alarmName;
        const alarm = new aws.cloudwatch.MetricAlarm(
          `${name}-${serviceName}-${def.kind}`,
          {
            name: alarmName,
            alarmDescription: def.description,
            comparisonOperator: def.comparisonOperator,
            threshold: def.threshold,
            evaluationPeriods: def.evaluationPeriods,
            datapointsToAlarm: def.datapointsToAlarm,
            treatMissingData: def.treatMissingData,
            ...metricOf(def, healthCheck.id),
            ...actionsOf(def.severity),
            region,
            tags: { ...tags, "fleetgate:alarm": def.kind, "fleetgate:severity": def.severity },
          },
          { parent: this },
        );
        metricAlarms.push(alarm);
        names.push(alarm.name);
      }

      const rule = alarms.composite.enabled ? compositeRule(alarmNames) : undefined;
      if (rule) {
        const sev = alarms.composite.severity;
        const composite = new aws.cloudwatch.CompositeAlarm(
          `${name}-${serviceName}-api-down`,
          {
            alarmName: `${prefix}-${serviceName}-api-down`,
            alarmDescription: `${serviceName} is down and a second signal (errors or latency) agrees`,
            alarmRule: rule,
            ...actionsOf(sev),
            region,
            tags: { ...tags, "fleetgate:alarm": "composite", "fleetgate:severity": sev },
          },
          // The rule names the metric alarms: create them first, delete them last.
          { parent: this, dependsOn: metricAlarms },
        );
        names.push(composite.alarmName);
      }
    }
    for (const alarm of customMetricAlarms(name, prefix, alarms, baseTags, actionsOf, region, this)) {
      names.push(alarm.name);
    }
    this.alarmNames = pulumi.all(names);

    if (alarms.monitor) this.monitor = this.healthMonitor(name, cfg, alarms, args.secrets, prefix, baseTags);

    this.registerOutputs({
      topicArns: this.topicArns,
      healthCheckIds: this.healthCheckIds,
      alarmNames: this.alarmNames,
      prometheusRules: this.prometheusRules,
      prometheusConfig: this.prometheusConfig,
      alertmanagerConfig: this.alertmanagerConfig,
    });
  }

  private healthMonitor(
    name: string,
    cfg: StackConfig,
    alarms: AlarmsConfig,
    secrets: SecretResolver,
    prefix: string,
    tags: Record<string, string>,
  ): HealthMonitor {
    const monitor = alarms.monitor!;
    // The run's monitor record goes to the stack's S3 ledger (the freeze reads it there).
    const ledger = s3TargetOf(cfg.gates.ledger?.s3);
    const plan = { ...monitorPlan(cfg), ...(ledger ? { stack: pulumi.getStack() } : {}) };
    // Config secrets and generated ones (the RandomPassword's output) alike, secret end to end.
    const values = Object.fromEntries(secretSlotsOf(plan).map((s) => [slotKey(s), secrets.resolve(s)]));
    return new HealthMonitor(
      `${name}-monitor`,
      {
        plan,
        schedule: monitor.schedule,
        topicArn: this.topicArns[monitor.severity],
        secrets: values,
        region: ROUTE53_METRICS_REGION,
        timeoutSeconds: monitor.timeoutSeconds,
        namePrefix: prefix,
        tags,
        ledger,
      },
      { parent: this },
    );
  }
}

/** The metric (or metric-math query) part of a metric alarm's args. */
function metricOf(
  def: MetricAlarmDefinition,
  healthCheckId: pulumi.Output<string>,
): Partial<aws.cloudwatch.MetricAlarmArgs> {
  if (def.healthCheckMetric) {
    const { metricName, statistic } = def.healthCheckMetric;
    const isPercentile = /^p\d/.test(statistic);
    return {
      namespace: "AWS/Route53",
      metricName,
      dimensions: { HealthCheckId: healthCheckId },
      period: def.period,
      ...(isPercentile ? { extendedStatistic: statistic } : { statistic }),
    };
  }
  const m = def.errorRate!;
  const query = (id: string, metricName: string) => ({
    id,
    returnData: false,
    metric: { namespace: m.namespace, metricName, dimensions: m.dimensions, period: def.period, stat: "Sum" },
  });
  return {
    metricQueries: [
      query("errors", m.errors),
      query("requests", m.requests),
      // No requests in a period is a 0 % error rate, not a division by zero.
      {
        id: "rate",
        expression: "IF(requests > 0, 100 * errors / requests, 0)",
        label: "Error rate (%)",
        returnData: true,
      },
    ],
  };
}
