/**
 * The monitor's AWS side in Lambda: secret values from one SSM SecureString (a JSON object of
 * config key → value), notifications through SNS. The AWS SDK v3 ships with the Lambda Node.js
 * runtime, so it is required at run time and left out of the bundle.
 */
import { appendS3Record, S3LedgerTarget } from "../../lib/ledger/s3";
import type { MonitorDeps, Notification } from "./handler";

interface SdkClient {
  send(command: unknown): Promise<unknown>;
}

export function awsDeps(env: NodeJS.ProcessEnv): MonitorDeps {
  const topicArn = env.FLEETGATE_MONITOR_TOPIC_ARN;
  if (!topicArn)
    throw new Error("FLEETGATE_MONITOR_TOPIC_ARN is not set; the HealthMonitor component sets it");
  // The S3 ledger (gates.ledger.s3) the HealthMonitor component passes in, as JSON.
  const ledger = env.FLEETGATE_LEDGER_S3
    ? (JSON.parse(env.FLEETGATE_LEDGER_S3) as S3LedgerTarget)
    : undefined;
  return {
    ...(ledger
      ? {
          async record(rec) {
            await appendS3Record(ledger, rec.stack, rec);
          },
        }
      : {}),
    async loadSecrets(keys) {
      if (keys.length === 0) return {};
      const parameter = env.FLEETGATE_MONITOR_SECRETS_PARAMETER;
      if (!parameter)
        throw new Error(
          `the checks need secrets (${keys.join(", ")}) but FLEETGATE_MONITOR_SECRETS_PARAMETER is not set`,
        );
      const ssm = require("@aws-sdk/client-ssm");
      const client: SdkClient = new ssm.SSMClient({});
      const out = (await client.send(
        new ssm.GetParameterCommand({ Name: parameter, WithDecryption: true }),
      )) as {
        Parameter?: { Value?: string };
      };
      return JSON.parse(out.Parameter?.Value ?? "{}") as Record<string, string>;
    },
    async publish(n: Notification) {
      const sns = require("@aws-sdk/client-sns");
      const client: SdkClient = new sns.SNSClient({});
      await client.send(
        new sns.PublishCommand({ TopicArn: topicArn, Subject: n.subject, Message: n.message }),
      );
    },
  };
}
