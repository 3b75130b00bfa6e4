/**
 * One SNS topic per severity (P1-P4) and its subscriptions: every channel the severity names,
 * plus the `emails` shorthand on every severity. Endpoints given as secret references stay secret.
 * Slack and PagerDuty channels are Alertmanager's (SNS cannot deliver to them).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "crypto";
import { AlarmsConfig, ChannelConfig, SEVERITIES, Severity, severityLadder } from "../../config/alarms";
import { SecretResolver } from "../secrets";

export interface SeverityTopics {
  topics: Record<Severity, aws.sns.Topic>;
  subscriptions: aws.sns.TopicSubscription[];
}

type SnsChannel = Extract<ChannelConfig, { kind: "email" | "sms" | "webhook" }>;
const PROTOCOL: Record<SnsChannel["kind"], string> = { email: "email", sms: "sms", webhook: "https" };

function endpointOf(channel: SnsChannel, secrets: SecretResolver): pulumi.Input<string> {
  switch (channel.kind) {
    case "email":
      return channel.address;
    case "sms":
      return secrets.value(channel.number);
    case "webhook":
      return secrets.value(channel.url);
  }
}

/** A short, stable logical-name suffix for an address (no address in the URN). */
const shortHash = (s: string) => createHash("sha256").update(s).digest("hex").slice(0, 8);

export function severityTopics(
  name: string,
  prefix: string,
  alarms: AlarmsConfig,
  secrets: SecretResolver,
  opts: { parent: pulumi.Resource; region: string; tags: Record<string, string> },
): SeverityTopics {
  const ladder = severityLadder(alarms);
  const channels = new Map(alarms.channels.map((c) => [c.name, c]));
  const subscriptions: aws.sns.TopicSubscription[] = [];
  const topics = {} as Record<Severity, aws.sns.Topic>;
  for (const sev of SEVERITIES) {
    const lower = sev.toLowerCase();
    const topic = new aws.sns.Topic(
      `${name}-${lower}`,
      {
        name: `${prefix}-${lower}`,
        // SMS messages start with the display name (at most 10 characters).
        displayName: `${sev} alarm`,
        region: opts.region,
        tags: {
          ...opts.tags,
          "fleetgate:severity": sev,
          "fleetgate:response-minutes": String(ladder[sev].responseMinutes),
        },
      },
      { parent: opts.parent },
    );
    topics[sev] = topic;
    const subscribe = (suffix: string, protocol: string, endpoint: pulumi.Input<string>) =>
      subscriptions.push(
        new aws.sns.TopicSubscription(
          `${name}-${lower}-${suffix}`,
          { topic: topic.arn, protocol, endpoint, region: opts.region },
          { parent: opts.parent },
        ),
      );
    for (const channelName of ladder[sev].channels) {
      const channel = channels.get(channelName);
      // The schema refuses unknown channel names; this guards hand-built configs.
      if (!channel) throw new Error(`alarms.severities.${sev}.channels: unknown channel "${channelName}"`);
      // Slack and PagerDuty have no SNS protocol: Alertmanager delivers them (lib/alertmanager).
      if (channel.kind === "slack" || channel.kind === "pagerduty") continue;
      subscribe(channel.name, PROTOCOL[channel.kind], endpointOf(channel, secrets));
    }
    for (const address of alarms.emails) subscribe(`email-${shortHash(address)}`, "email", address);
  }
  return { topics, subscriptions };
}
