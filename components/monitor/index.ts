/**
 * The scheduled health monitor: an EventBridge schedule invokes a Lambda that runs the deploy
 * gate's smoke checks (the shared check library, bundled) and publishes the result table to a
 * severity topic when any check fails. Secret values the checks need live in one SSM
 * SecureString that only this Lambda's role may read.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { MonitorPlan, secretKeysOf } from "../../lambda/monitor/plan";
import { bundleMonitorHandler } from "./bundle";
import type { S3LedgerTarget } from "../../lib/ledger/s3";

export interface HealthMonitorArgs {
  /** What to check (see components/monitor/plan.ts); holds no secret values. */
  plan: MonitorPlan;
  /** EventBridge schedule expression, e.g. `rate(12 hours)`. */
  schedule: string;
  /** ARN of the SNS topic the result table goes to on failure. */
  topicArn: pulumi.Input<string>;
  /**
   * Values of every key the plan's slots name (`slotKey`: a config key, or `generated:<name>` for
   * a secret the stack generates); stored encrypted in SSM, secret in state.
   */
  secrets: Record<string, pulumi.Input<string>>;
  /** AWS region of the function, schedule and parameter. */
  region: string;
  /** Lambda timeout in seconds. */
  timeoutSeconds: number;
  /** Prefix of physical names (`<fleet>-<environment>`). */
  namePrefix: string;
  tags?: Record<string, string>;
  /** The S3 evidence ledger each run appends its monitor record to (plan.stack names the stack). */
  ledger?: S3LedgerTarget;
}

export class HealthMonitor extends pulumi.ComponentResource {
  public readonly functionName: pulumi.Output<string>;
  public readonly functionArn: pulumi.Output<string>;
  public readonly scheduleRuleName: pulumi.Output<string>;
  /** The Lambda's code: index.js (the bundled handler) and plan.json (what it checks). */
  public readonly code: pulumi.asset.AssetArchive;
  /** Name of the SSM parameter holding the checks' secrets (undefined when none are needed). */
  public readonly secretsParameterName?: pulumi.Output<string>;

  constructor(name: string, args: HealthMonitorArgs, opts?: pulumi.ComponentResourceOptions) {
    super("fleetgate:monitor:HealthMonitor", name, {}, opts);
    if (args.ledger && !args.plan.stack)
      throw new Error(
        `HealthMonitor ${name}: plan.stack must name the stack whose ledger the runs append to`,
      );
    if (args.plan.checks.length === 0)
      throw new Error(`HealthMonitor ${name}: plan.checks must list at least one check`);
    const needed = secretKeysOf(args.plan);
    const missing = needed.filter((k) => !(k in args.secrets));
    if (missing.length) {
      throw new Error(
        `HealthMonitor ${name}: secrets is missing ${missing.join(", ")}, which the checks need`,
      );
    }
    const parent = { parent: this };
    const region = args.region;
    const tags = { ...args.tags, "fleetgate:component": "health-monitor" };

    let parameter: aws.ssm.Parameter | undefined;
    if (needed.length) {
      const values = pulumi
        .all(Object.fromEntries(needed.map((k) => [k, args.secrets[k]])))
        .apply((v) => JSON.stringify(v));
      parameter = new aws.ssm.Parameter(
        `${name}-secrets`,
        {
          name: `/fleetgate/${args.namePrefix}/monitor/secrets`,
          type: "SecureString",
          value: pulumi.secret(values),
          description: "Secret values of the health monitor's checks (JSON: config key -> value)",
          region,
          tags,
        },
        parent,
      );
    }

    const role = new aws.iam.Role(
      `${name}-role`,
      {
        assumeRolePolicy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            { Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" },
          ],
        }),
        tags,
      },
      parent,
    );
    new aws.iam.RolePolicyAttachment(
      `${name}-logs`,
      { role: role.name, policyArn: "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole" },
      parent,
    );
    // Least privilege: publish to the one topic, read the one parameter.
    new aws.iam.RolePolicy(
      `${name}-access`,
      {
        role: role.id,
        policy: pulumi.all([args.topicArn, parameter?.arn]).apply(([topicArn, parameterArn]) =>
          JSON.stringify({
            Version: "2012-10-17",
            Statement: [
              { Effect: "Allow", Action: "sns:Publish", Resource: topicArn },
              ...(parameterArn
                ? [{ Effect: "Allow", Action: "ssm:GetParameter", Resource: parameterArn }]
                : []),
              // Append-only evidence: new objects under the stack's prefix, nothing else.
              ...(args.ledger
                ? [
                    {
                      Effect: "Allow",
                      Action: "s3:PutObject",
                      Resource: `arn:aws:s3:::${args.ledger.bucket}/${args.ledger.prefix}${args.plan.stack}/*`,
                    },
                  ]
                : []),
            ],
          }),
        ),
      },
      parent,
    );

    this.code = new pulumi.asset.AssetArchive({
      "index.js": new pulumi.asset.StringAsset(bundleMonitorHandler()),
      // Beside the code, not in the environment: Lambda caps environment variables at 4 KB.
      "plan.json": new pulumi.asset.StringAsset(JSON.stringify(args.plan, null, 2)),
    });
    const fn = new aws.lambda.Function(
      `${name}-fn`,
      {
        name: `${args.namePrefix}-health-monitor`,
        description: `fleetgate health monitor of ${args.plan.fleet} (${args.plan.environment})`,
        runtime: "nodejs20.x",
        handler: "index.handler",
        // The archive the function runs: the bundle and the plan it reads (the handler crashes
        // without plan.json, so the test unpacks this very archive from the registered inputs).
        code: this.code,
        role: role.arn,
        timeout: args.timeoutSeconds,
        memorySize: 256,
        environment: {
          variables: {
            FLEETGATE_MONITOR_TOPIC_ARN: args.topicArn,
            ...(parameter ? { FLEETGATE_MONITOR_SECRETS_PARAMETER: parameter.name } : {}),
            ...(args.ledger ? { FLEETGATE_LEDGER_S3: JSON.stringify(args.ledger) } : {}),
          },
        },
        region,
        tags,
      },
      parent,
    );

    const rule = new aws.cloudwatch.EventRule(
      `${name}-schedule`,
      {
        name: `${args.namePrefix}-health-monitor`,
        description: `Runs the fleetgate health monitor ${args.schedule}`,
        scheduleExpression: args.schedule,
        region,
        tags,
      },
      parent,
    );
    const permission = new aws.lambda.Permission(
      `${name}-invoke`,
      {
        action: "lambda:InvokeFunction",
        function: fn.name,
        principal: "events.amazonaws.com",
        sourceArn: rule.arn,
        region,
      },
      parent,
    );
    new aws.cloudwatch.EventTarget(
      `${name}-target`,
      // A failed run already notified; retrying would only repeat the notification.
      {
        rule: rule.name,
        arn: fn.arn,
        retryPolicy: { maximumRetryAttempts: 0, maximumEventAgeInSeconds: 3600 },
        region,
      },
      { parent: this, dependsOn: [permission] },
    );

    // A monitor that crashes or times out cannot publish its own failure: CloudWatch does.
    new aws.cloudwatch.MetricAlarm(
      `${name}-errors`,
      {
        name: `${args.namePrefix}-health-monitor-errors`,
        alarmDescription:
          "The fleetgate health monitor failed to run (crash or timeout); its checks did not report",
        namespace: "AWS/Lambda",
        metricName: "Errors",
        dimensions: { FunctionName: fn.name },
        statistic: "Sum",
        comparisonOperator: "GreaterThanThreshold",
        threshold: 0,
        period: 3600,
        evaluationPeriods: 1,
        datapointsToAlarm: 1,
        // Between runs there are no invocations, hence no data: that is not an error.
        treatMissingData: "notBreaching",
        alarmActions: [args.topicArn],
        okActions: [args.topicArn],
        region,
        tags,
      },
      parent,
    );

    this.functionName = fn.name;
    this.functionArn = fn.arn;
    this.scheduleRuleName = rule.name;
    this.secretsParameterName = parameter?.name;
    this.registerOutputs({
      functionName: this.functionName,
      functionArn: this.functionArn,
      scheduleRuleName: this.scheduleRuleName,
    });
  }
}
