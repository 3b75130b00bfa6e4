/**
 * The Alertmanager configuration generated from the alarms' severities and channels (the same
 * definitions the SNS topics use): one route and one receiver per severity, grouping and
 * repetition paced by the severity's response time, and a firing P1 silencing lower severities
 * of the same service. Validated by `amtool check-config` in tests/alarms/alertmanager.test.ts.
 */
import { stringify } from "yaml";
import { AlarmsConfig, ChannelConfig, SEVERITIES, Severity, severityLadder } from "../../config/alarms";
import type { SecretRef } from "../../config/primitives";

export interface AlertmanagerInput {
  fleet: string;
  environment: string;
  alarms: AlarmsConfig;
  /** The value of a plain string or secret reference (webhook URLs, routing keys, SMTP password). */
  resolve: (value: string | SecretRef) => string;
}

export interface SeverityTiming {
  groupWait: string;
  groupInterval: string;
  repeatInterval: string;
}

/** Minutes as an Alertmanager duration (whole hours as h). */
const minutes = (m: number) => (m % 60 === 0 && m >= 60 ? `${m / 60}h` : `${m}m`);

/**
 * Timing of a severity with the given response time (docs/alarms.md "Alertmanager"):
 * - group_wait: how long to collect related alerts before the first page: 10 s for an
 *   immediate response (0 minutes), else a tenth of the response time, 30 s to 1 min;
 * - group_interval: new alerts of an open group wait at most min(response, 5) minutes (1 min at 0);
 * - repeat_interval: a still-firing alert is sent again every response time (at least 5 min):
 *   nobody answered within the time the severity promises, so it escalates by repeating.
 */
export function severityTiming(responseMinutes: number): SeverityTiming {
  const groupWaitSeconds = responseMinutes === 0 ? 10 : Math.min(60, Math.max(30, responseMinutes * 6));
  const groupIntervalMinutes = responseMinutes === 0 ? 1 : Math.min(5, Math.max(1, responseMinutes));
  return {
    groupWait: `${groupWaitSeconds}s`,
    groupInterval: minutes(groupIntervalMinutes),
    repeatInterval: minutes(Math.max(5, responseMinutes)),
  };
}

/** PagerDuty's event severity for each of ours. */
const PAGERDUTY_SEVERITY: Record<Severity, string> = {
  P1: "critical",
  P2: "error",
  P3: "warning",
  P4: "info",
};

const TITLE =
  "[{{ .Status | toUpper }}] {{ .CommonLabels.severity }} {{ .CommonLabels.alertname }} {{ .CommonLabels.service }}";
const TEXT = "{{ range .Alerts }}{{ .Annotations.summary }}: {{ .Annotations.description }}\n{{ end }}";

export interface Receiver {
  name: string;
  email_configs?: Record<string, unknown>[];
  webhook_configs?: Record<string, unknown>[];
  slack_configs?: Record<string, unknown>[];
  pagerduty_configs?: Record<string, unknown>[];
}

function addChannel(r: Receiver, channel: ChannelConfig, sev: Severity, input: AlertmanagerInput): void {
  switch (channel.kind) {
    case "email":
      (r.email_configs ??= []).push({ to: channel.address, send_resolved: true });
      return;
    case "webhook":
      (r.webhook_configs ??= []).push({ url: input.resolve(channel.url), send_resolved: true });
      return;
    case "slack":
      (r.slack_configs ??= []).push({
        api_url: input.resolve(channel.url),
        ...(channel.channel ? { channel: channel.channel } : {}),
        send_resolved: true,
        title: TITLE,
        text: TEXT,
      });
      return;
    case "pagerduty":
      (r.pagerduty_configs ??= []).push({
        routing_key: input.resolve(channel.routingKey),
        severity: PAGERDUTY_SEVERITY[sev],
        send_resolved: true,
      });
      return;
    case "sms":
      // Alertmanager has no SMS integration: SMS goes through the SNS topic (components/alarms).
      return;
  }
}

/** The configuration as an object (what `renderAlertmanagerConfig` writes as YAML). */
export function buildAlertmanagerConfig(input: AlertmanagerInput): Record<string, unknown> {
  const { alarms } = input;
  const am = alarms.alertmanager;
  const ladder = severityLadder(alarms);
  const channels = new Map(alarms.channels.map((c) => [c.name, c]));
  const receivers: Receiver[] = [{ name: "fleetgate-unrouted" }];
  const routes: Record<string, unknown>[] = [];
  for (const sev of SEVERITIES) {
    const receiver: Receiver = { name: `fleetgate-${sev}` };
    for (const name of ladder[sev].channels) {
      const channel = channels.get(name);
      if (!channel) throw new Error(`alarms.severities.${sev}.channels: unknown channel "${name}"`);
      addChannel(receiver, channel, sev, input);
    }
    // The `emails` shorthand notifies every severity, as with the SNS topics.
    for (const to of alarms.emails) (receiver.email_configs ??= []).push({ to, send_resolved: true });
    receivers.push(receiver);
    const timing = severityTiming(ladder[sev].responseMinutes);
    routes.push({
      receiver: receiver.name,
      matchers: [`severity="${sev}"`],
      group_wait: am?.groupWait ?? timing.groupWait,
      group_interval: am?.groupInterval ?? timing.groupInterval,
      repeat_interval: am?.repeatInterval ?? timing.repeatInterval,
    });
  }
  const usesEmail = receivers.some((r) => r.email_configs?.length);
  const smtp = am?.smtp;
  if (usesEmail && !smtp) {
    throw new Error(
      "alarms.alertmanager.smtp: email channels need a mail relay; set smarthost and from (or route email through the SNS topics only)",
    );
  }
  return {
    global: {
      resolve_timeout: am?.resolveTimeout ?? "5m",
      ...(smtp && usesEmail
        ? {
            smtp_smarthost: smtp.smarthost,
            smtp_from: smtp.from,
            smtp_require_tls: smtp.requireTls,
            ...(smtp.username ? { smtp_auth_username: smtp.username } : {}),
            ...(smtp.password ? { smtp_auth_password: input.resolve(smtp.password) } : {}),
          }
        : {}),
    },
    route: {
      // Alerts without a known severity label are kept (visible in the UI) but page nobody.
      receiver: "fleetgate-unrouted",
      group_by: ["alertname", "service"],
      routes,
    },
    // A firing P1 (e.g. the service is down) makes its lower-severity symptoms noise.
    inhibit_rules: [
      {
        source_matchers: ['severity="P1"'],
        target_matchers: ['severity=~"P2|P3|P4"'],
        equal: ["fleet", "environment", "service"],
      },
    ],
    receivers,
  };
}

/** The configuration as YAML (holds resolved secret values: write it 0600, keep it secret). */
export function renderAlertmanagerConfig(input: AlertmanagerInput): string {
  const header = `# Generated by fleetgate from the alarms of ${input.fleet} (${input.environment}); do not edit.\n`;
  return header + stringify(buildAlertmanagerConfig(input), { lineWidth: 0 });
}
