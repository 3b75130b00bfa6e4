/**
 * Alarms, the scheduled health monitor and Prometheus rules (see components/alarms,
 * components/monitor, lib/prometheus). One set of thresholds feeds CloudWatch, the Prometheus
 * rules and the monitor, so they never disagree.
 *
 * Cross-field rules of this section (windows against periods, channels that must exist) live in
 * the superRefine below; rules that need the rest of the stack (services that must exist and be
 * public, AWS on the local platform) live in `alarmsStackIssues`.
 */
import { z } from "zod";
import { awsScheduleExpression } from "./schedule";
import { durationSeconds, httpUrl, resourceName, secretRef } from "./primitives";

export const SEVERITIES = ["P1", "P2", "P3", "P4"] as const;
export type Severity = (typeof SEVERITIES)[number];
/** http:// URLs allowed for webhooks: a receiver on this machine's loopback. */
const LOOPBACK_HTTP = /^http:\/\/(127\.0\.0\.1|localhost)(:[0-9]+)?(\/|$)/;
const severity = z.enum(SEVERITIES, { error: "must be one of P1, P2, P3, P4" });

/** What each alarm kind is called in tags, Prometheus labels and the docs. */
export type AlarmKind = "service-down" | "latency" | "error-rate" | "composite" | "custom";

/** Default response times (minutes) per severity: the escalation ladder of the docs. */
export const DEFAULT_RESPONSE_MINUTES: Record<Severity, number> = { P1: 0, P2: 5, P3: 15, P4: 240 };

/** CloudWatch accepts periods of 10, 30 or a multiple of 60 seconds. */
const periodSeconds = z
  .number()
  .int("must be a whole number of seconds")
  .refine((p) => p === 10 || p === 30 || (p > 0 && p % 60 === 0), {
    message: "must be 10, 30 or a multiple of 60 seconds (CloudWatch periods)",
  });

const percentThreshold = z
  .number()
  .gt(0, "must be a percentage above 0 and at most 100")
  .max(100, "must be a percentage above 0 and at most 100");

/** The evaluation window shared by every metric alarm: period, window and M-of-N datapoints. */
const windowFields = {
  /** Length of one datapoint. */
  periodSeconds,
  /** How long the condition must hold: window / period datapoints are evaluated. */
  windowSeconds: durationSeconds,
  /** Breaching datapoints (of window / period) that raise the alarm; default all of them. */
  datapointsToAlarm: z.number().int().positive("must be at least 1").optional(),
  severity,
};

const serviceDownConfig = z.strictObject({
  ...windowFields,
  periodSeconds: windowFields.periodSeconds.default(60),
  windowSeconds: windowFields.windowSeconds.default(60),
  severity: severity.default("P2"),
});

const latencyConfig = z.strictObject({
  ...windowFields,
  /** Latency budget: time to first byte above it breaches. */
  thresholdMs: z
    .number()
    .int("must be a whole number of milliseconds")
    .positive("must be a positive number of milliseconds")
    .max(60_000, "must be at most 60000 ms")
    .default(2000),
  /** CloudWatch statistic of the Route 53 time to first byte: Average or a percentile. */
  statistic: z
    .string()
    .regex(/^(Average|p(50|90|95|99|99\.9))$/, "must be Average, p50, p90, p95, p99 or p99.9")
    .default("p95"),
  /** Quantiles of the Prometheus HighLatency rules (one rule per quantile). */
  quantiles: z
    .array(z.number().gt(0, "must be a quantile between 0 and 1").lt(1, "must be a quantile between 0 and 1"))
    .min(1, "must list at least one quantile such as 0.95")
    .default([0.95, 0.99]),
  periodSeconds: windowFields.periodSeconds.default(60),
  windowSeconds: windowFields.windowSeconds.default(300),
  severity: severity.default("P3"),
});

const dimensionValue = z
  .string()
  .min(1, "must be a dimension value; {service} is replaced by the service name");

/** The application's own request metrics, published by the services to CloudWatch. */
const errorMetricConfig = z.strictObject({
  /** CloudWatch namespace the services publish to, e.g. refapp/http. */
  namespace: z.string().regex(/^[^:\s][^:]{0,254}$/, "must be a CloudWatch namespace such as refapp/http"),
  /** Count of failed (5xx) requests per period. */
  errors: z.string().min(1, "must name the metric counting failed requests, e.g. Http5xx"),
  /** Count of all requests per period. */
  requests: z.string().min(1, "must name the metric counting all requests, e.g. Requests"),
  /** Dimensions of both metrics; `{service}` in a value is replaced by the service name. */
  dimensions: z.record(z.string().min(1), dimensionValue).default({ Service: "{service}" }),
});

const errorRateConfig = z.strictObject({
  ...windowFields,
  /** Share of failed requests (percent) above which the alarm fires. */
  thresholdPercent: percentThreshold.default(5),
  /**
   * CloudWatch metrics the rate is computed from (100 * errors / requests). Without it there is
   * no CloudWatch error-rate alarm (the Prometheus rule still uses the threshold).
   */
  metric: errorMetricConfig.optional(),
  periodSeconds: windowFields.periodSeconds.default(60),
  windowSeconds: windowFields.windowSeconds.default(600),
  severity: severity.default("P2"),
});

/** Route 53 health check of each public service. */
const healthCheckConfig = z.strictObject({
  /** Route 53 checks every 10 or 30 seconds. */
  intervalSeconds: z
    .union([z.literal(10), z.literal(30)], { error: "must be 10 or 30 (Route 53 intervals)" })
    .default(30),
  /** Consecutive failures before a checker counts the endpoint unhealthy. */
  failureThreshold: z
    .number()
    .int()
    .min(1, "must be between 1 and 10")
    .max(10, "must be between 1 and 10")
    .default(3),
  /** Measure time to first byte (needed by the latency alarm). */
  measureLatency: z.boolean().default(true),
});

const channelConfig = z.discriminatedUnion("kind", [
  z.strictObject({
    name: resourceName,
    kind: z.literal("email"),
    address: z.email("must be an email address"),
  }),
  z.strictObject({
    name: resourceName,
    kind: z.literal("sms"),
    /** E.164 phone number; a secret reference keeps it out of the stack file. */
    number: z.union([
      z.string().regex(/^\+[1-9][0-9]{6,14}$/, "must be an E.164 phone number such as +15551234567"),
      secretRef,
    ]),
  }),
  z.strictObject({
    name: resourceName,
    kind: z.literal("webhook"),
    /**
     * HTTPS endpoint of a chat integration (it must confirm the SNS subscription); Alertmanager
     * posts its webhook JSON here too. http:// only on loopback (a local receiver).
     */
    url: z.union([
      httpUrl.refine(
        (u) => u.startsWith("https://") || LOOPBACK_HTTP.test(u),
        "must be an https:// URL (http:// only for 127.0.0.1 or localhost)",
      ),
      secretRef,
    ]),
  }),
  z.strictObject({
    name: resourceName,
    kind: z.literal("slack"),
    /** Slack incoming-webhook URL (a credential: use a secret reference). Alertmanager only. */
    url: z.union([httpUrl.refine((u) => u.startsWith("https://"), "must be an https:// URL"), secretRef]),
    /** Channel override, e.g. #alerts (default: the webhook's own channel). */
    channel: z
      .string()
      .regex(/^[#@][^\s]{1,80}$/, "must be a channel such as #alerts or a user such as @oncall")
      .optional(),
  }),
  z.strictObject({
    name: resourceName,
    kind: z.literal("pagerduty"),
    /** PagerDuty Events API v2 integration (routing) key. Alertmanager only. */
    routingKey: secretRef,
  }),
]);
export type ChannelConfig = z.infer<typeof channelConfig>;

/** Channel kinds only Alertmanager delivers (SNS has no Slack or PagerDuty protocol). */
export const ALERTMANAGER_ONLY_CHANNELS: ChannelConfig["kind"][] = ["slack", "pagerduty"];

/** Alertmanager duration such as 30s, 5m, 4h. */
const promDurationString = z
  .string()
  .regex(/^[0-9]+(ms|s|m|h|d)$/, "must be a duration such as 30s, 5m or 4h");

/**
 * Alertmanager (lib/alertmanager): routes per severity to the severities' channels. Timing is
 * derived from each severity's responseMinutes unless overridden here (for every severity).
 */
const alertmanagerConfig = z.strictObject({
  /** Outgoing mail for email channels (required when a severity routes to an email channel). */
  smtp: z
    .strictObject({
      /** host:port of the mail relay. */
      smarthost: z.string().regex(/^[^\s:]+:[0-9]{1,5}$/, "must be host:port such as smtp.example.com:587"),
      from: z.email("must be an email address"),
      username: z.string().min(1).optional(),
      password: secretRef.optional(),
      requireTls: z.boolean().default(true),
    })
    .optional(),
  groupWait: promDurationString.optional(),
  groupInterval: promDurationString.optional(),
  repeatInterval: promDurationString.optional(),
  /** How long an alert without updates stays firing (Prometheus sends updates itself). */
  resolveTimeout: promDurationString.default("5m"),
});
export type AlertmanagerSettings = z.infer<typeof alertmanagerConfig>;

/**
 * The local stack monitors itself: Prometheus and Alertmanager run as local processes
 * (components/monitoring-local) scraping the watched services. Local platform only.
 */
const localMonitoringConfig = z.strictObject({
  /** Loopback port of Prometheus (UI and API). */
  prometheusPort: z.number().int().min(1024).max(65535).default(47190),
  /** Loopback port of Alertmanager (UI and API). */
  alertmanagerPort: z.number().int().min(1024).max(65535).default(47193),
});

const severityConfig = z.strictObject({
  /** How fast a human must respond; documents the escalation ladder. */
  responseMinutes: z
    .number()
    .int()
    .min(0, "must be 0 or more minutes")
    .max(10_080, "must be at most 10080 (one week)"),
  /** Channel names this severity notifies. */
  channels: z.array(resourceName).default([]),
});

const monitorConfig = z.strictObject({
  /** EventBridge schedule expression. */
  schedule: awsScheduleExpression.default("rate(12 hours)"),
  /** Severity topic the result table is published to when a check fails. */
  severity: severity.default("P2"),
  /** Lambda timeout. */
  timeoutSeconds: z
    .number()
    .int()
    .min(5, "must be between 5 and 900")
    .max(900, "must be between 5 and 900")
    .default(60),
});

const prometheusConfig = z.strictObject({
  /** Label that carries the service name on every series. */
  serviceLabel: z
    .string()
    .regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, "must be a Prometheus label name")
    .default("service"),
  /** Counter of HTTP requests with a status-code label. */
  requestsMetric: z
    .string()
    .regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/, "must be a Prometheus metric name")
    .default("http_requests_total"),
  /** Label of `requestsMetric` holding the HTTP status code. */
  statusLabel: z
    .string()
    .regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, "must be a Prometheus label name")
    .default("code"),
  /** Histogram (base name, without _bucket) of request durations in seconds. */
  latencyHistogram: z
    .string()
    .regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/, "must be a Prometheus metric name")
    .default("http_request_duration_seconds"),
  /** Range of rate() in the error-rate and latency expressions. */
  rateWindow: z
    .string()
    .regex(/^[0-9]+[smh]$/, "must be a Prometheus duration such as 5m")
    .default("5m"),
  /** Path of every watched service's metrics endpoint (the scrape config's metrics_path). */
  metricsPath: z
    .string()
    .regex(/^\/[^\s]*$/, "must be a path such as /metrics")
    .default("/metrics"),
  scrapeInterval: z
    .string()
    .regex(/^[0-9]+(ms|s|m)$/, "must be a Prometheus duration such as 15s")
    .default("15s"),
  evaluationInterval: z
    .string()
    .regex(/^[0-9]+(ms|s|m)$/, "must be a Prometheus duration such as 15s")
    .default("15s"),
});

const COMPARISONS = [">", ">=", "<", "<="] as const;
export type Comparison = (typeof COMPARISONS)[number];

/** A CloudWatch metric the application (or an exporter) publishes. */
const customMetricConfig = z.strictObject({
  namespace: z.string().regex(/^[^:\s][^:]{0,254}$/, "must be a CloudWatch namespace such as atlasux/engine"),
  metricName: z.string().min(1, "must name the metric, e.g. EngineTicks"),
  dimensions: z.record(z.string().min(1), z.string().min(1)).default({}),
  /** Average, Sum, Minimum, Maximum, SampleCount or a percentile such as p95. */
  statistic: z
    .string()
    .regex(
      /^(Average|Sum|Minimum|Maximum|SampleCount|p\d{1,2}(\.\d+)?)$/,
      "must be Average, Sum, Minimum, Maximum, SampleCount or a percentile such as p95",
    )
    .default("Average"),
});

/**
 * An alarm on a named metric of the application (engine ticks, queue depth, pool use, rows
 * stuck in a state): a CloudWatch alarm when `metric` is set (and alarms.cloudwatch), a
 * Prometheus rule when `expr` is set. Both compare the value with `threshold` for `windowSeconds`.
 */
const customAlarmConfig = z
  .strictObject({
    /** Alarm name; also the Prometheus alert name, so letters, digits and '_' only. */
    name: z
      .string()
      .regex(
        /^[a-z][a-z0-9_]{1,62}$/,
        "must be a lower-case alarm name of letters, digits and '_' such as engine_stalled (Prometheus alert names allow no '-')",
      ),
    description: z.string().min(1).optional(),
    /** Service or external target the alarm is about (tag fleetgate:service, label service). */
    service: resourceName.optional(),
    metric: customMetricConfig.optional(),
    /** PromQL whose value is compared with the threshold (no comparison inside). */
    expr: z.string().min(1, "must be a PromQL expression such as sum(jobs_queued)").optional(),
    comparison: z.enum(COMPARISONS, { error: "must be one of >, >=, <, <=" }),
    threshold: z.number(),
    ...windowFields,
    periodSeconds: windowFields.periodSeconds.default(60),
    /** CloudWatch: what a period without data counts as (breaching for "no ticks" alarms). */
    missingData: z
      .enum(["breaching", "notBreaching", "missing", "ignore"], {
        error: "must be breaching, notBreaching, missing or ignore",
      })
      .default("missing"),
  })
  .refine((c) => c.metric !== undefined || c.expr !== undefined, {
    message: "needs a CloudWatch metric, a Prometheus expr, or both",
    path: ["metric"],
  });
export type CustomAlarmConfig = z.infer<typeof customAlarmConfig>;

export const alarmsConfig = z
  .strictObject({
    /** Declare the AWS side (Route 53, CloudWatch, SNS, monitor); false for a stack without AWS. */
    cloudwatch: z.boolean().default(true),
    /** Public services to watch; default every web service. */
    services: z.array(resourceName).optional(),
    /** Addresses that receive every severity's alarm emails (shorthand for email channels). */
    emails: z.array(z.email("must be an email address")).default([]),
    channels: z.array(channelConfig).default([]),
    /** Escalation ladder: response time and channels per severity. */
    severities: z.partialRecord(severity, severityConfig).default({}),
    healthCheck: healthCheckConfig.prefault({}),
    serviceDown: serviceDownConfig.prefault({}),
    latency: latencyConfig.prefault({}),
    errorRate: errorRateConfig.prefault({}),
    /** The api-down composite: down AND (errors OR slow) confirms an outage from two signals. */
    composite: z
      .strictObject({ enabled: z.boolean().default(true), severity: severity.default("P1") })
      .prefault({}),
    monitor: monitorConfig.optional(),
    prometheus: prometheusConfig.prefault({}),
    /** Generate an Alertmanager configuration (stack output `alertmanagerConfig`). */
    alertmanager: alertmanagerConfig.optional(),
    /** Run Prometheus and Alertmanager beside the local stack (local platform only). */
    localMonitoring: localMonitoringConfig.optional(),
    /** Alarms on the application's own metrics (CloudWatch and/or Prometheus). */
    custom: z.array(customAlarmConfig).default([]),
  })
  .superRefine((cfg, ctx) => {
    const windows: [string, { periodSeconds: number; windowSeconds: number; datapointsToAlarm?: number }][] =
      [
        ["serviceDown", cfg.serviceDown],
        ["latency", cfg.latency],
        ["errorRate", cfg.errorRate],
        ...cfg.custom.map((c, i) => [`custom[${i}]`, c] as [string, typeof c]),
      ];
    for (const [key, w] of windows) {
      // A bad period or window already has its own message.
      if (!(w.windowSeconds > 0 && w.periodSeconds > 0)) continue;
      const at = key.startsWith("custom[") ? ["custom", Number(key.slice(7, -1))] : [key];
      if (w.windowSeconds < w.periodSeconds) {
        ctx.addIssue({
          code: "custom",
          path: [...at, "windowSeconds"],
          message: `window of ${w.windowSeconds} s is shorter than the period of ${w.periodSeconds} s; make windowSeconds at least periodSeconds`,
        });
      } else if (w.windowSeconds % w.periodSeconds !== 0) {
        ctx.addIssue({
          code: "custom",
          path: [...at, "windowSeconds"],
          message: `window of ${w.windowSeconds} s is not a whole number of ${w.periodSeconds} s periods; use a multiple of periodSeconds`,
        });
      } else if (
        w.datapointsToAlarm !== undefined &&
        w.datapointsToAlarm > w.windowSeconds / w.periodSeconds
      ) {
        ctx.addIssue({
          code: "custom",
          path: [...at, "datapointsToAlarm"],
          message: `must be at most ${w.windowSeconds / w.periodSeconds} (the datapoints in a ${w.windowSeconds} s window of ${w.periodSeconds} s periods)`,
        });
      }
    }
    const channelNames = cfg.channels.map((c) => c.name);
    cfg.channels.forEach((c, i) => {
      if (channelNames.indexOf(c.name) !== i) {
        ctx.addIssue({
          code: "custom",
          path: ["channels", i, "name"],
          message: `channel name "${c.name}" is used twice`,
        });
      }
    });
    cfg.custom.forEach((c, i) => {
      if (cfg.custom.findIndex((x) => x.name === c.name) !== i) {
        ctx.addIssue({
          code: "custom",
          path: ["custom", i, "name"],
          message: `custom alarm name "${c.name}" is used twice`,
        });
      }
      if (c.metric && !c.expr && !cfg.cloudwatch) {
        ctx.addIssue({
          code: "custom",
          path: ["custom", i, "metric"],
          message: `alarm "${c.name}" has only a CloudWatch metric but alarms.cloudwatch is false; add an expr (Prometheus) or set cloudwatch: true`,
        });
      }
    });
    for (const [sev, s] of Object.entries(cfg.severities)) {
      s?.channels.forEach((name, j) => {
        const channel = cfg.channels.find((c) => c.name === name);
        if (!channel) {
          ctx.addIssue({
            code: "custom",
            path: ["severities", sev, "channels", j],
            message: `unknown channel "${name}"; declare it under alarms.channels`,
          });
        } else if (ALERTMANAGER_ONLY_CHANNELS.includes(channel.kind) && !alertmanagerDelivers(cfg)) {
          ctx.addIssue({
            code: "custom",
            path: ["severities", sev, "channels", j],
            message: `${channel.kind} channel "${name}" is delivered by Alertmanager only; add alarms.alertmanager (or alarms.localMonitoring)`,
          });
        } else if (channel.kind === "email" && cfg.alertmanager && !cfg.alertmanager.smtp) {
          ctx.addIssue({
            code: "custom",
            path: ["alertmanager", "smtp"],
            message: `severity ${sev} routes to email channel "${name}": Alertmanager needs alarms.alertmanager.smtp (smarthost, from) to send mail`,
          });
        }
      });
    }
    cfg.channels.forEach((c, i) => {
      if (c.kind === "webhook" && typeof c.url === "string" && LOOPBACK_HTTP.test(c.url) && cfg.cloudwatch) {
        ctx.addIssue({
          code: "custom",
          path: ["channels", i, "url"],
          message:
            "SNS delivers to https:// endpoints only; use an https:// URL or set alarms.cloudwatch: false (a loopback receiver is for local stacks)",
        });
      }
    });
  });
export type AlarmsConfig = z.infer<typeof alarmsConfig>;

/** Whether an Alertmanager routes this config's alerts (declared, or run by the local stack). */
function alertmanagerDelivers(cfg: { alertmanager?: unknown; localMonitoring?: unknown }): boolean {
  return cfg.alertmanager !== undefined || cfg.localMonitoring !== undefined;
}

/** The slice of the stack config the stack-wide alarm rules read (kept structural: no cycle with schema.ts). */
export interface AlarmsStackView {
  platform: { kind: string };
  fleet: {
    services: { name: string; type: string }[];
    externalTargets?: { name: string; healthCheckPath?: string }[];
  };
  gates?: { smoke?: unknown };
  alarms?: AlarmsConfig;
}

/** Rules that need the rest of the stack: watched services must exist and be public. */
export function alarmsStackIssues(cfg: AlarmsStackView): { path: (string | number)[]; message: string }[] {
  const issues: { path: (string | number)[]; message: string }[] = [];
  const alarms = cfg.alarms;
  if (!alarms) return issues;
  const externals = cfg.fleet.externalTargets ?? [];
  alarms.services?.forEach((name, i) => {
    const svc = cfg.fleet.services.find((s) => s.name === name);
    const external = externals.find((t) => t.name === name);
    if (external) {
      if (!external.healthCheckPath) {
        issues.push({
          path: ["alarms", "services", i],
          message: `external target "${name}" has no healthCheckPath for a Route 53 health check; add one under fleet.externalTargets`,
        });
      }
    } else if (!svc) {
      issues.push({
        path: ["alarms", "services", i],
        message: `unknown service "${name}"; declare it under fleet.services or fleet.externalTargets`,
      });
    } else if (svc.type !== "web") {
      issues.push({
        path: ["alarms", "services", i],
        message: `service "${name}" is a ${svc.type} service; only public (web) services have health checks to alarm on`,
      });
    }
  });
  if (alarms.cloudwatch && cfg.platform.kind === "local") {
    issues.push({
      path: ["alarms", "cloudwatch"],
      message:
        "the local platform registers no AWS resources; set alarms.cloudwatch: false (Prometheus rules still work)",
    });
  }
  if (alarms.monitor && !cfg.gates?.smoke) {
    issues.push({
      path: ["alarms", "monitor"],
      message:
        "the health monitor runs the deploy gate's checks; declare gates.smoke.checks or remove alarms.monitor",
    });
  }
  const targetNames = [...cfg.fleet.services.map((s) => s.name), ...externals.map((t) => t.name)];
  alarms.custom.forEach((c, i) => {
    if (c.service && !targetNames.includes(c.service)) {
      issues.push({
        path: ["alarms", "custom", i, "service"],
        message: `unknown service "${c.service}"; name a service or an external target`,
      });
    }
  });
  if (alarms.localMonitoring && cfg.platform.kind !== "local") {
    issues.push({
      path: ["alarms", "localMonitoring"],
      message:
        "Prometheus and Alertmanager run as local processes on the local platform only; remove alarms.localMonitoring (use alarms.alertmanager for the generated config)",
    });
  }
  if (alarms.monitor && !alarms.cloudwatch) {
    issues.push({
      path: ["alarms", "monitor"],
      message: "the health monitor is a Lambda on AWS; set alarms.cloudwatch: true or remove alarms.monitor",
    });
  }
  return issues;
}

/** Severities used by the config, with their response time and channels (defaults filled in). */
export function severityLadder(
  alarms: AlarmsConfig,
): Record<Severity, { responseMinutes: number; channels: string[] }> {
  return Object.fromEntries(
    SEVERITIES.map((s) => [
      s,
      {
        responseMinutes: alarms.severities[s]?.responseMinutes ?? DEFAULT_RESPONSE_MINUTES[s],
        channels: alarms.severities[s]?.channels ?? [],
      },
    ]),
  ) as Record<Severity, { responseMinutes: number; channels: string[] }>;
}

/** The names of the services the alarms watch: the listed ones, else every web service. */
export function watchedServices(cfg: AlarmsStackView): string[] {
  if (!cfg.alarms) return [];
  return cfg.alarms.services ?? cfg.fleet.services.filter((s) => s.type === "web").map((s) => s.name);
}

/** Datapoints evaluated by a window (window / period). */
export function evaluationPeriods(w: { periodSeconds: number; windowSeconds: number }): number {
  return w.windowSeconds / w.periodSeconds;
}
