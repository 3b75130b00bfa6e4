/**
 * The Alarms and HealthMonitor components under Pulumi mocks: every alarm's metric, dimensions,
 * threshold, period, evaluation periods and actions; topics and subscriptions per severity; the
 * monitor's Lambda, schedule, role and secret parameter. Self-contained: setMocks is global.
 */
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { Alarms } from "../../components/alarms";
import { Fleet } from "../../components/fleet";
import { StackConfig } from "../../config/schema";
import { fakeSecrets, stackConfig } from "./fixtures";

interface Registered {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
}

let registered: Registered[] = [];

/** Resolves once registrations stop arriving (every child of a component registers asynchronously). */
async function settle(): Promise<void> {
  let last = -1;
  for (let i = 0; i < 100 && registered.length !== last; i++) {
    last = registered.length;
    await new Promise((r) => setTimeout(r, 30));
  }
}

/** How a secret input reaches the mocks: wrapped with Pulumi's secret signature. */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const secretOf = (value: string) => ({ [SECRET_SIG]: "1b47061264138c4ac30d75fd1eb44270", value });

const valueOf = <T>(o: pulumi.Output<T>): Promise<T> => new Promise((resolve) => o.apply(resolve));

const ofType = (type: string) => registered.filter((r) => r.type === type);
function one(type: string, name: string): Registered {
  const hits = registered.filter((r) => r.type === type && r.name === name);
  assert.strictEqual(
    hits.length,
    1,
    `expected one ${type} named ${name}; have ${ofType(type).map((r) => r.name)}`,
  );
  return hits[0];
}

const topicArn = (stackPrefix: string, sev: string) =>
  `arn:aws:sns:us-east-1:123456789012:${stackPrefix}-${sev.toLowerCase()}`;

async function build(cfg: StackConfig): Promise<Alarms> {
  registered = [];
  const alarms = new Alarms("alarms", { config: cfg, secrets: fakeSecrets });
  await valueOf(alarms.alarmNames);
  await settle();
  return alarms;
}

describe("alarms: components under mocks", function () {
  this.timeout(30_000);

  before(() => {
    pulumi.runtime.setMocks(
      {
        newResource: (args) => {
          registered.push({ type: args.type, name: args.name, inputs: args.inputs });
          const state: Record<string, unknown> = { ...args.inputs };
          if (args.type === "aws:sns/topic:Topic")
            state.arn = `arn:aws:sns:us-east-1:123456789012:${args.inputs.name}`;
          if (args.type === "aws:lambda/function:Function")
            state.arn = `arn:aws:lambda:us-east-1:123456789012:function:${args.inputs.name}`;
          if (args.type === "aws:cloudwatch/eventRule:EventRule")
            state.arn = `arn:aws:events:us-east-1:123456789012:rule/${args.inputs.name}`;
          if (args.type === "aws:ssm/parameter:Parameter")
            state.arn = `arn:aws:ssm:us-east-1:123456789012:parameter${args.inputs.name}`;
          if (args.type === "aws:iam/role:Role") state.arn = `arn:aws:iam::123456789012:role/${args.name}`;
          return { id: `${args.name}-id`, state };
        },
        call: (args) => args.inputs,
      },
      "fleetgate",
      "test",
      true,
    );
  });

  describe("prod stack", () => {
    let alarms: Alarms;
    before(async () => {
      alarms = await build(stackConfig("prod"));
    });

    it("declares one SNS topic per severity in us-east-1", async () => {
      const topics = ofType("aws:sns/topic:Topic");
      assert.deepStrictEqual(topics.map((t) => t.inputs.name).sort(), [
        "refapp-prod-p1",
        "refapp-prod-p2",
        "refapp-prod-p3",
        "refapp-prod-p4",
      ]);
      for (const t of topics) assert.strictEqual(t.inputs.region, "us-east-1");
      assert.strictEqual(
        one("aws:sns/topic:Topic", "alarms-p2").inputs.tags &&
          (one("aws:sns/topic:Topic", "alarms-p2").inputs.tags as Record<string, string>)[
            "fleetgate:response-minutes"
          ],
        "5",
      );
      assert.strictEqual(await valueOf(alarms.topicArns.P1), topicArn("refapp-prod", "P1"));
    });

    it("subscribes each severity's channels and the shared emails", () => {
      const subs = ofType("aws:sns/topicSubscription:TopicSubscription").map((s) => ({
        topic: s.inputs.topic,
        protocol: s.inputs.protocol,
        endpoint: s.inputs.endpoint,
      }));
      const P1 = topicArn("refapp-prod", "P1");
      const P3 = topicArn("refapp-prod", "P3");
      const byProtocol = (a: { protocol: unknown }, b: { protocol: unknown }) =>
        String(a.protocol).localeCompare(String(b.protocol));
      // Secret endpoints (SMS number, webhook URL) reach the provider still marked secret.
      assert.deepStrictEqual(subs.filter((s) => s.topic === P1).sort(byProtocol), [
        { topic: P1, protocol: "email", endpoint: "pager@fleetgate.example" },
        { topic: P1, protocol: "email", endpoint: "oncall@fleetgate.example" },
        { topic: P1, protocol: "https", endpoint: secretOf("value-of-alarmChatWebhookUrl") },
        { topic: P1, protocol: "sms", endpoint: secretOf("value-of-oncallPhone") },
      ]);
      assert.deepStrictEqual(
        subs
          .filter((s) => s.topic === P3)
          .map((s) => s.protocol)
          .sort(),
        ["email", "https"],
      );
    });

    it("health-checks each public service over HTTPS with latency measured", () => {
      const hc = one("aws:route53/healthCheck:HealthCheck", "alarms-refapp-api-health").inputs;
      assert.strictEqual(hc.type, "HTTPS");
      assert.strictEqual(hc.fqdn, "refapp-api.onrender.com");
      assert.strictEqual(hc.port, 443);
      assert.strictEqual(hc.resourcePath, "/v1/health");
      assert.strictEqual(hc.requestInterval, 10);
      assert.strictEqual(hc.failureThreshold, 3);
      assert.strictEqual(hc.measureLatency, true);
      assert.strictEqual(hc.enableSni, true);
      assert.strictEqual((hc.tags as Record<string, string>)["fleetgate:service"], "refapp-api");
      const dash = one("aws:route53/healthCheck:HealthCheck", "alarms-refapp-dashboard-health").inputs;
      assert.strictEqual(dash.resourcePath, "/");
      assert.strictEqual(
        ofType("aws:route53/healthCheck:HealthCheck").length,
        2,
        "workers get no health check",
      );
    });

    it("service-down: HealthCheckStatus minimum below 1 for 1 minute, P2 alarm and OK actions", () => {
      const a = one("aws:cloudwatch/metricAlarm:MetricAlarm", "alarms-refapp-api-service-down").inputs;
      assert.strictEqual(a.name, "refapp-prod-refapp-api-service-down");
      assert.strictEqual(a.namespace, "AWS/Route53");
      assert.strictEqual(a.metricName, "HealthCheckStatus");
      assert.deepStrictEqual(a.dimensions, { HealthCheckId: "alarms-refapp-api-health-id" });
      assert.strictEqual(a.statistic, "Minimum");
      assert.strictEqual(a.comparisonOperator, "LessThanThreshold");
      assert.strictEqual(a.threshold, 1);
      assert.strictEqual(a.period, 60);
      assert.strictEqual(a.evaluationPeriods, 1);
      assert.strictEqual(a.datapointsToAlarm, 1);
      assert.strictEqual(a.treatMissingData, "breaching");
      assert.strictEqual(a.region, "us-east-1");
      assert.deepStrictEqual(a.alarmActions, [topicArn("refapp-prod", "P2")]);
      assert.deepStrictEqual(a.okActions, [topicArn("refapp-prod", "P2")]);
      assert.deepStrictEqual(
        [
          (a.tags as Record<string, string>)["fleetgate:service"],
          (a.tags as Record<string, string>)["fleetgate:alarm"],
        ],
        ["refapp-api", "service-down"],
      );
    });

    it("latency: time to first byte p95 over 2000 ms in 4 of 5 one-minute periods, P3", () => {
      const a = one("aws:cloudwatch/metricAlarm:MetricAlarm", "alarms-refapp-api-latency").inputs;
      assert.strictEqual(a.namespace, "AWS/Route53");
      assert.strictEqual(a.metricName, "TimeToFirstByte");
      assert.deepStrictEqual(a.dimensions, { HealthCheckId: "alarms-refapp-api-health-id" });
      assert.strictEqual(a.extendedStatistic, "p95");
      assert.strictEqual(a.statistic, undefined);
      assert.strictEqual(a.comparisonOperator, "GreaterThanThreshold");
      assert.strictEqual(a.threshold, 2000);
      assert.strictEqual(a.period, 60);
      assert.strictEqual(a.evaluationPeriods, 5);
      assert.strictEqual(a.datapointsToAlarm, 4);
      assert.deepStrictEqual(a.alarmActions, [topicArn("refapp-prod", "P3")]);
      assert.deepStrictEqual(a.okActions, [topicArn("refapp-prod", "P3")]);
      assert.strictEqual((a.tags as Record<string, string>)["fleetgate:alarm"], "latency");
    });

    it("error-rate: 100 * errors / requests from the named metric over 5 % for 10 minutes, P1", () => {
      const a = one("aws:cloudwatch/metricAlarm:MetricAlarm", "alarms-refapp-dashboard-error-rate").inputs;
      assert.strictEqual(a.metricName, undefined);
      assert.strictEqual(a.threshold, 5);
      assert.strictEqual(a.comparisonOperator, "GreaterThanThreshold");
      assert.strictEqual(a.evaluationPeriods, 10);
      assert.strictEqual(a.datapointsToAlarm, 8);
      assert.strictEqual(a.treatMissingData, "notBreaching");
      const metric = (name: string) => ({
        namespace: "refapp/http",
        metricName: name,
        dimensions: { Service: "refapp-dashboard" },
        period: 60,
        stat: "Sum",
      });
      assert.deepStrictEqual(a.metricQueries, [
        { id: "errors", returnData: false, metric: metric("Http5xx") },
        { id: "requests", returnData: false, metric: metric("Requests") },
        {
          id: "rate",
          expression: "IF(requests > 0, 100 * errors / requests, 0)",
          label: "Error rate (%)",
          returnData: true,
        },
      ]);
      assert.deepStrictEqual(a.alarmActions, [topicArn("refapp-prod", "P1")]);
      assert.deepStrictEqual(a.okActions, [topicArn("refapp-prod", "P1")]);
      assert.strictEqual((a.tags as Record<string, string>)["fleetgate:alarm"], "error-rate");
    });

    it("api-down composite: down AND (errors OR latency), P1", async () => {
      const c = one("aws:cloudwatch/compositeAlarm:CompositeAlarm", "alarms-refapp-api-api-down").inputs;
      assert.strictEqual(
        c.alarmRule,
        'ALARM("refapp-prod-refapp-api-service-down") AND (ALARM("refapp-prod-refapp-api-error-rate") OR ALARM("refapp-prod-refapp-api-latency"))',
      );
      assert.deepStrictEqual(c.alarmActions, [topicArn("refapp-prod", "P1")]);
      assert.deepStrictEqual(c.okActions, [topicArn("refapp-prod", "P1")]);
      assert.strictEqual((c.tags as Record<string, string>)["fleetgate:alarm"], "composite");
      assert.strictEqual((await valueOf(alarms.alarmNames)).length, 2 * 4);
    });

    it("exposes the Prometheus rules generated from the same thresholds", () => {
      assert.match(alarms.prometheusRules, /alert: ServiceDown/);
      assert.match(alarms.prometheusRules, /expr: up\{service="refapp-api"\} == 0/);
      assert.match(alarms.prometheusRules, /> 5\n/);
    });

    it("monitor: a bundled Node.js Lambda with the smoke checks, no secret values in its environment", async () => {
      const fn = one("aws:lambda/function:Function", "alarms-monitor-fn").inputs;
      assert.strictEqual(fn.runtime, "nodejs20.x");
      assert.strictEqual(fn.handler, "index.handler");
      assert.strictEqual(fn.region, "us-east-1");
      // The archive the Function resource received (not the component's own field).
      assert.ok(pulumi.asset.AssetArchive.isInstance(fn.code as pulumi.asset.AssetArchive));
      const assets = await (fn.code as pulumi.asset.AssetArchive).assets;
      assert.deepStrictEqual(Object.keys(assets).sort(), ["index.js", "plan.json"]);
      const code = await (assets["index.js"] as pulumi.asset.StringAsset).text;
      assert.match(code, /exports, \{[^}]*handler: \(\) => handler/, "exports the handler");
      assert.match(code, /formatResultTable/, "the shared check library is bundled");
      assert.match(code, /@aws-sdk\/client-sns/, "the SDK is required at run time, not bundled");
      const env = (fn.environment as { variables: Record<string, string> }).variables;
      assert.strictEqual(env.FLEETGATE_MONITOR_TOPIC_ARN, topicArn("refapp-prod", "P1"));
      assert.strictEqual(env.FLEETGATE_MONITOR_SECRETS_PARAMETER, "/fleetgate/refapp-prod/monitor/secrets");
      assert.deepStrictEqual(Object.keys(env).sort(), [
        "FLEETGATE_LEDGER_S3",
        "FLEETGATE_MONITOR_SECRETS_PARAMETER",
        "FLEETGATE_MONITOR_TOPIC_ARN",
      ]);
      // Each run's monitor record goes to the stack's S3 ledger (gates.ledger.s3).
      assert.deepStrictEqual(JSON.parse(env.FLEETGATE_LEDGER_S3), {
        bucket: "fleetgate-example-evidence",
        prefix: "fleetgate/ledger/",
      });
      const plan = JSON.parse(await (assets["plan.json"] as pulumi.asset.StringAsset).text);
      assert.deepStrictEqual(
        plan.checks.map((c: { name: string; url: string; timeoutMs: number }) => [
          c.name,
          c.url,
          c.timeoutMs,
        ]),
        [
          ["api-health", "https://refapp-api.onrender.com/v1/health", 3000],
          ["api-key", "https://refapp-api.onrender.com/v1/me", 3000],
          ["dashboard", "https://refapp-dashboard.onrender.com/", 3000],
        ],
      );
      // The stack generates the smoke API key: the plan names its slot, never its value.
      assert.deepStrictEqual(plan.checks[1].validKey, { generated: "smoke-api-key" });
      assert.ok(!JSON.stringify(fn).includes("value-of-"), "no secret value in the function's inputs");
    });

    it("monitor: secrets in one SecureString the role alone may read; publish to its severity topic", () => {
      const param = one("aws:ssm/parameter:Parameter", "alarms-monitor-secrets").inputs;
      assert.strictEqual(param.type, "SecureString");
      const value = param.value as { [SECRET_SIG]: string; value: string };
      assert.strictEqual(
        value[SECRET_SIG],
        secretOf("")[SECRET_SIG],
        "the parameter value stays a Pulumi secret",
      );
      assert.deepStrictEqual(JSON.parse(value.value), {
        "generated:smoke-api-key": "generated-smoke-api-key",
      });
      const policy = JSON.parse(
        one("aws:iam/rolePolicy:RolePolicy", "alarms-monitor-access").inputs.policy as string,
      );
      assert.deepStrictEqual(policy.Statement, [
        { Effect: "Allow", Action: "sns:Publish", Resource: topicArn("refapp-prod", "P1") },
        {
          Effect: "Allow",
          Action: "ssm:GetParameter",
          Resource: "arn:aws:ssm:us-east-1:123456789012:parameter/fleetgate/refapp-prod/monitor/secrets",
        },
        // Append-only: new ledger objects under this stack's prefix.
        {
          Effect: "Allow",
          Action: "s3:PutObject",
          Resource: "arn:aws:s3:::fleetgate-example-evidence/fleetgate/ledger/test/*",
        },
      ]);
      const role = one("aws:iam/role:Role", "alarms-monitor-role").inputs;
      assert.match(role.assumeRolePolicy as string, /lambda\.amazonaws\.com/);
    });

    it("monitor: an EventBridge schedule every 12 hours invokes the function", () => {
      const rule = one("aws:cloudwatch/eventRule:EventRule", "alarms-monitor-schedule").inputs;
      assert.strictEqual(rule.scheduleExpression, "rate(12 hours)");
      const target = one("aws:cloudwatch/eventTarget:EventTarget", "alarms-monitor-target").inputs;
      assert.strictEqual(
        target.arn,
        "arn:aws:lambda:us-east-1:123456789012:function:refapp-prod-health-monitor",
      );
      assert.strictEqual(target.rule, "refapp-prod-health-monitor");
      const perm = one("aws:lambda/permission:Permission", "alarms-monitor-invoke").inputs;
      assert.strictEqual(perm.principal, "events.amazonaws.com");
      assert.strictEqual(perm.action, "lambda:InvokeFunction");
      assert.strictEqual(
        perm.sourceArn,
        "arn:aws:events:us-east-1:123456789012:rule/refapp-prod-health-monitor",
      );
    });

    it("monitor: a crash or timeout of the monitor raises its own alarm", () => {
      const a = one("aws:cloudwatch/metricAlarm:MetricAlarm", "alarms-monitor-errors").inputs;
      assert.deepStrictEqual(
        [a.namespace, a.metricName, a.statistic, a.comparisonOperator, a.threshold, a.treatMissingData],
        ["AWS/Lambda", "Errors", "Sum", "GreaterThanThreshold", 0, "notBreaching"],
      );
      assert.deepStrictEqual(a.dimensions, { FunctionName: "refapp-prod-health-monitor" });
      assert.deepStrictEqual([a.period, a.evaluationPeriods, a.datapointsToAlarm], [3600, 1, 1]);
      assert.deepStrictEqual(a.alarmActions, [topicArn("refapp-prod", "P1")]);
      assert.deepStrictEqual(a.okActions, [topicArn("refapp-prod", "P1")]);
    });

    it("tags every service alarm with fleetgate:service and fleetgate:alarm (the policy pack reads them)", () => {
      const alarmResources = [
        ...ofType("aws:cloudwatch/metricAlarm:MetricAlarm").filter(
          (r) => !r.name.startsWith("alarms-monitor"),
        ),
        ...ofType("aws:cloudwatch/compositeAlarm:CompositeAlarm"),
      ];
      assert.strictEqual(alarmResources.length, 8);
      for (const a of alarmResources) {
        const tags = a.inputs.tags as Record<string, string>;
        assert.ok(["refapp-api", "refapp-dashboard"].includes(tags["fleetgate:service"]), a.name);
        assert.ok(
          ["service-down", "latency", "error-rate", "composite"].includes(tags["fleetgate:alarm"]),
          a.name,
        );
        assert.ok(
          a.name.endsWith(tags["fleetgate:alarm"] === "composite" ? "api-down" : tags["fleetgate:alarm"]),
          a.name,
        );
      }
    });
  });

  it("follows the config: thresholds, windows and severities change the alarms", async () => {
    await build(
      stackConfig("dev", (raw) => {
        const a = raw.alarms as Record<string, unknown>;
        a.latency = {
          thresholdMs: 800,
          statistic: "Average",
          periodSeconds: 30,
          windowSeconds: 120,
          severity: "P4",
        };
        a.serviceDown = { periodSeconds: 60, windowSeconds: 180, datapointsToAlarm: 2, severity: "P1" };
        delete a.errorRate;
        delete a.monitor;
        a.composite = { enabled: false };
      }),
    );
    const lat = one("aws:cloudwatch/metricAlarm:MetricAlarm", "alarms-refapp-api-latency").inputs;
    assert.deepStrictEqual(
      [
        lat.statistic,
        lat.extendedStatistic,
        lat.threshold,
        lat.period,
        lat.evaluationPeriods,
        lat.datapointsToAlarm,
      ],
      ["Average", undefined, 800, 30, 4, 4],
    );
    assert.deepStrictEqual(lat.alarmActions, [topicArn("refapp-dev", "P4")]);
    const down = one("aws:cloudwatch/metricAlarm:MetricAlarm", "alarms-refapp-api-service-down").inputs;
    assert.deepStrictEqual([down.evaluationPeriods, down.datapointsToAlarm], [3, 2]);
    assert.deepStrictEqual(down.okActions, [topicArn("refapp-dev", "P1")]);
    assert.strictEqual(
      ofType("aws:cloudwatch/metricAlarm:MetricAlarm").length,
      4,
      "no error-rate alarm without a metric",
    );
    assert.strictEqual(ofType("aws:cloudwatch/compositeAlarm:CompositeAlarm").length, 0);
    assert.strictEqual(ofType("aws:lambda/function:Function").length, 0);
  });

  it("declares no AWS resource when cloudwatch is false, and still renders the rules", async () => {
    const alarms = await build(
      stackConfig("dev", (raw) => {
        const a = raw.alarms as Record<string, unknown>;
        a.cloudwatch = false;
        delete a.monitor;
      }),
    );
    assert.deepStrictEqual(
      registered.filter((r) => r.type.startsWith("aws:")),
      [],
    );
    assert.match(alarms.prometheusRules, /HighLatencyP99/);
  });

  it("the Fleet declares Alarms (and the monitor) when the stack has an alarms section", async function () {
    // The whole fleet (platform, gates, CI) registers here: slow on a busy machine.
    this.timeout(120_000);
    registered = [];
    const fleet = new Fleet("refapp", { config: stackConfig("dev"), secrets: fakeSecrets });
    assert.ok(fleet.alarms);
    await valueOf(fleet.alarms.alarmNames);
    await settle();
    const alarms = one("fleetgate:alarms:Alarms", "refapp-alarms");
    assert.ok(alarms);
    assert.strictEqual(ofType("fleetgate:monitor:HealthMonitor").length, 1);
    assert.strictEqual(ofType("aws:route53/healthCheck:HealthCheck").length, 2);
  });

  it("refuses a hand-built config that watches a worker, naming the field", () => {
    const cfg = stackConfig("dev");
    const bad = { ...cfg, alarms: { ...cfg.alarms!, services: ["refapp-engine"] } };
    assert.throws(
      () => new Alarms("bad", { config: bad, secrets: fakeSecrets }),
      /alarms\.services\[0\]: service "refapp-engine" is a worker service/,
    );
  });
});
