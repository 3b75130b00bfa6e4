/**
 * `pulumi up` of the prod stack through the real CLI, with the provider doubles and the Render
 * double, then the team's next steps on the same stack: a preview that changes nothing, a key
 * set by hand on a prod service that `preview --refresh --policy-pack` reports as advisory
 * (prod-foreign-env-keys) and passes, and a destroy. The resource graph is asserted from the
 * doubles' call logs: types and counts, SNS → CloudWatch → Route 53 wiring, the prod GitHub
 * environment's reviewers, the workflow files, the generated secrets (the webhook signing secret
 * and the smoke API key, which reaches the service, the smoke gate, the monitor's SSM parameter
 * and the GitHub secret of the health-monitor workflow, never in plain).
 *
 * Test-only changes to Pulumi.prod.yaml (each needed to run the gates against loopback):
 * services' `url` point at a loopback app that answers the smoke checks (and accepts the API key
 * refapp-api's env holds on the Render double, as the real app would), the databaseUrl secret is a
 * real PostgreSQL, the chat webhook is a loopback sink, the S3 evidence ledger is a moto server on
 * loopback (EngineStack), and the post-deploy watch samples for
 * 3 s instead of 15 minutes; latency budgets are 5 s (a loaded test machine stalls loopback answers).
 */
import * as assert from "assert";
import * as fs from "fs";
import * as http from "http";
import { AddressInfo } from "net";
import * as path from "path";
import { readStateFile, REPO_ROOT } from "../support/engine";
import { startPostgres, TestPostgres } from "../support/postgres";
import { ChatHook, startChatHook } from "../deploy/support";
import { DoubleCall } from "../doubles/provider";
import { POLICY_CASES } from "../policies/engine-cases";
import { EngineStack, POLICY_PACK, SECRET_KEYS, secretValue, shippedConfig } from "./support";
import { AWS_COMPOSITE_ALARM, AWS_METRIC_ALARM, GITHUB_ENVIRONMENT, GITHUB_REPOSITORY_FILE } from "./types";

type Obj = Record<string, unknown>;

/**
 * The refapp as the smoke checks and the watch expect it: health JSON, an API key check, HTML.
 * It accepts the key `acceptedKey()` gives (refapp-api's SMOKE_API_KEY on the platform).
 */
async function startRefapp(
  acceptedKey: () => string | undefined,
): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    const json = (status: number, body: unknown) =>
      res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
    if (req.url === "/v1/health") json(200, { status: "ok" });
    else if (req.url === "/v1/me") {
      const key = acceptedKey();
      const ok = key !== undefined && req.headers.authorization === `Bearer ${key}`;
      json(ok ? 200 : 401, ok ? { id: "smoke" } : { message: "unauthorized" });
    } else
      res
        .writeHead(200, { "content-type": "text/html" })
        .end("<!doctype html><html><body>refapp</body></html>");
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

describe("prod stack: pulumi up through the engine, graph asserted from the doubles", function () {
  this.timeout(600_000);
  this.bail(true);
  let stack: EngineStack;
  let pg: TestPostgres;
  let hook: ChatHook;
  let app: { url: string; close: () => Promise<void> };
  let creates: DoubleCall[];

  const created = (type: string) => creates.filter((c) => c.type === type);
  const one = (type: string, name: string) => {
    const found = created(type).filter((c) => c.name === name);
    assert.strictEqual(found.length, 1, `${type} ${name}: ${found.length} creates`);
    return found[0];
  };
  const result = (c: DoubleCall) => c.result as Obj;
  /** The generated smoke API key, as refapp-api's env holds it on the Render double. */
  const smokeKey = (): string | undefined => {
    const api = stack?.render.serviceByName("refapp-api");
    return api && stack.render.envOf(api.id).SMOKE_API_KEY;
  };

  before(async () => {
    [pg, hook, app] = await Promise.all([startPostgres(), startChatHook(), startRefapp(smokeKey)]);
    for (const t of ["users", "jobs", "billing_events"]) await pg.query(`create table public.${t} (id int)`);
    stack = await EngineStack.create("prod-up");
    await stack.ok(
      "config",
      "set-all",
      ...["--secret", `fleetgate:databaseUrl=${pg.url}`],
      ...["--secret", `fleetgate:alarmChatWebhookUrl=${hook.url}/chat`],
    );
    const cfg = structuredClone(shippedConfig("prod")) as Record<string, Obj>;
    for (const s of (cfg["fleetgate:fleet"] as { services: Obj[] }).services) s.url = app.url;
    const gates = cfg["fleetgate:gates"] as { watch: Obj; smoke: { checks: Obj[] } };
    // Loopback answers take a few ms, but a loaded test machine can stall one past 300 ms.
    Object.assign(gates.watch, { windowSeconds: 3, intervalSeconds: 1, baselineSamples: 1, maxP95Ms: 5000 });
    for (const c of gates.smoke.checks) if (c.latencyBudgetMs) c.latencyBudgetMs = 5000;
    stack.writeConfig(cfg);
  });

  after(async () => {
    if (stack) {
      for (const p of [`ledger/${stack.name}.jsonl`, `backups/${stack.name}`]) {
        fs.rmSync(path.join(REPO_ROOT, ".fleetgate", p), { recursive: true, force: true });
      }
      await stack.dispose();
    }
    await Promise.all([pg?.stop(), hook?.close(), app?.close()]);
  });

  afterEach(function () {
    // Secret values never reach the CLI's output or the state's plaintext.
    const state = readStateFile(stack.dir, "fleetgate", stack.name);
    const generated = smokeKey();
    for (const v of [...(generated ? [generated] : []), ...SECRET_KEYS.map(secretValue)]) {
      for (const out of stack.outputs) assert.ok(!out.includes(v), `a secret value was printed:\n${out}`);
      assert.ok(!state.includes(v), `a secret value is in the state's plaintext`);
    }
    if (this.currentTest?.state === "failed") console.log(stack.outputs.slice(-1).join("\n"));
  });

  it("up registers the prod graph through the doubles: types and counts", async () => {
    await stack.ok("up", "--yes", "--skip-preview");
    creates = stack.calls("create");
    const counts: Record<string, number> = {};
    for (const c of creates) counts[c.type] = (counts[c.type] ?? 0) + 1;
    const alarms = shippedConfig("prod")["fleetgate:alarms"] as {
      services: string[];
      emails: string[];
      severities: Record<string, { channels?: string[] }>;
    };
    const alarmed = alarms.services.length;
    const subscriptions = Object.values(alarms.severities).reduce(
      (n, s) => n + alarms.emails.length + (s.channels?.length ?? 0),
      0,
    );
    assert.deepStrictEqual(counts, {
      // One topic per severity; each severity's emails and channels subscribed to it.
      "aws:sns/topic:Topic": 4,
      "aws:sns/topicSubscription:TopicSubscription": subscriptions,
      // Per alarmed public service: a Route 53 check, service-down/latency/error-rate alarms and
      // the api-down composite; plus the monitor Lambda's own error alarm.
      "aws:route53/healthCheck:HealthCheck": alarmed,
      [AWS_METRIC_ALARM]: 3 * alarmed + 1,
      [AWS_COMPOSITE_ALARM]: alarmed,
      // The scheduled health monitor: function, role and policies, schedule, secrets parameter.
      "aws:lambda/function:Function": 1,
      "aws:lambda/permission:Permission": 1,
      "aws:iam/role:Role": 1,
      "aws:iam/rolePolicy:RolePolicy": 1,
      "aws:iam/rolePolicyAttachment:RolePolicyAttachment": 1,
      "aws:cloudwatch/eventRule:EventRule": 1,
      "aws:cloudwatch/eventTarget:EventTarget": 1,
      "aws:ssm/parameter:Parameter": 1,
      // prod's own GitHub environments (prod, and prod-read for previews and the health monitor)
      // and their secrets (the read-scope generated smoke key in both); the workflow files,
      // repository secrets and branch protection belong to dev (manageRepository: false here).
      [GITHUB_ENVIRONMENT]: 2,
      "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret": 4,
      // refapp-api's webhook signing secret and smoke API key, generated by the stack.
      "random:index/randomPassword:RandomPassword": 2,
    });
    assert.strictEqual(created(GITHUB_REPOSITORY_FILE).length, 0);
    // The Render side: five services live on the Render double.
    const names = (shippedConfig("prod")["fleetgate:fleet"] as { services: { name: string }[] }).services.map(
      (s) => s.name,
    );
    for (const n of names) assert.ok(stack.render.serviceByName(n), `service ${n} on the Render double`);
  });

  it("SNS → CloudWatch → Route 53: every alarm notifies its severity's topic, service alarms read their health check", () => {
    const topicOf: Record<string, string> = {};
    for (const t of created("aws:sns/topic:Topic")) {
      const tags = (t.inputs as { tags: Record<string, string> }).tags;
      topicOf[tags["fleetgate:severity"]] = result(t).arn as string;
      assert.strictEqual(t.id, result(t).arn, "an SNS topic's id is its ARN");
    }
    assert.deepStrictEqual(Object.keys(topicOf).sort(), ["P1", "P2", "P3", "P4"]);
    for (const sub of created("aws:sns/topicSubscription:TopicSubscription")) {
      assert.ok(Object.values(topicOf).includes((sub.inputs as Obj).topic as string), `${sub.name} topic`);
    }
    const healthCheckOf: Record<string, string> = {};
    for (const hc of created("aws:route53/healthCheck:HealthCheck")) {
      const tags = (hc.inputs as { tags: Record<string, string> }).tags;
      healthCheckOf[tags["fleetgate:service"]] = hc.id!;
      assert.strictEqual(
        (hc.inputs as Obj).resourcePath,
        tags["fleetgate:service"] === "refapp-api" ? "/v1/health" : "/",
      );
    }
    for (const a of [...created(AWS_METRIC_ALARM), ...created(AWS_COMPOSITE_ALARM)]) {
      const inputs = a.inputs as { tags: Record<string, string>; alarmActions: string[]; dimensions?: Obj };
      // The monitor's own alarm goes to the monitor's severity (P1 in prod).
      const severity = inputs.tags["fleetgate:severity"] ?? "P1";
      assert.deepStrictEqual(inputs.alarmActions, [topicOf[severity]], `${a.name} actions`);
      const service = inputs.tags["fleetgate:service"];
      if (
        a.type === AWS_METRIC_ALARM &&
        ["service-down", "latency"].includes(inputs.tags["fleetgate:alarm"])
      ) {
        assert.deepStrictEqual(
          inputs.dimensions,
          { HealthCheckId: healthCheckOf[service] },
          `${a.name} dimensions`,
        );
      }
    }
    const down = one(AWS_METRIC_ALARM, "refapp-alarms-refapp-api-service-down").inputs as Obj;
    assert.deepStrictEqual(down.alarmActions, [topicOf.P2]);
  });

  it("the prod GitHub environment requires the reviewers the config names, by their looked-up ids", () => {
    const invokes = stack.calls("invoke");
    const user = invokes.find(
      (c) => c.type === "github:index/getUser:getUser" && (c.inputs as Obj).username === "fleetgate-lead",
    );
    const team = invokes.find(
      (c) => c.type === "github:index/getTeam:getTeam" && (c.inputs as Obj).slug === "platform-leads",
    );
    assert.ok(user && team, "the reviewers were looked up through the github double");
    const env = one(GITHUB_ENVIRONMENT, "refapp-ci-env-prod").inputs as Obj;
    assert.strictEqual(env.environment, "prod");
    assert.deepStrictEqual(env.reviewers, [
      { users: [Number((user.result as Obj).id)], teams: [Number((team.result as Obj).id)] },
    ]);
  });

  it("the generated webhook signing secret: a RandomPassword, on refapp-api, secret in state and in the log", () => {
    const password = one("random:index/randomPassword:RandomPassword", "refapp-webhook-signing-secret");
    assert.deepStrictEqual(password.inputs, { length: 32, special: false });
    assert.deepStrictEqual((password.result as Obj).result, "[secret]");
    const value = stack.render.envOf(stack.render.serviceByName("refapp-api")!.id).WEBHOOK_SIGNING_SECRET;
    assert.match(value, /^[A-Za-z0-9]{32}$/);
    assert.ok(
      !readStateFile(stack.dir, "fleetgate", stack.name).includes(value),
      "the value is encrypted in state",
    );
    for (const out of stack.outputs) assert.ok(!out.includes(value), "the value was printed");
    assert.ok(!fs.readFileSync(stack.log, "utf8").includes(value), "the value is in the doubles' log");
  });

  it("the generated smoke API key: refapp-api accepts it, the gate sent it, the monitor and CI hold it as secrets", () => {
    const password = one("random:index/randomPassword:RandomPassword", "refapp-smoke-api-key");
    assert.deepStrictEqual(password.inputs, { length: 32, special: false });
    assert.deepStrictEqual((password.result as Obj).result, "[secret]");
    const value = smokeKey();
    assert.match(value ?? "", /^[A-Za-z0-9]{32}$/, "SMOKE_API_KEY on refapp-api");
    // The smoke gate passed the api-key check against the app that accepts only this value.
    const state = JSON.parse(readStateFile(stack.dir, "fleetgate", stack.name)) as {
      checkpoint: { latest: { resources: { type: string; outputs?: Obj }[] } };
    };
    const smoke = state.checkpoint.latest.resources.find((r) => r.type.endsWith("checks:SmokeSuite"));
    const results = (smoke?.outputs?.results ?? []) as { check: string; status: string }[];
    assert.strictEqual(results.find((r) => r.check === "api-key")?.status, "pass");
    // The monitor's SSM parameter and the GitHub secret of prod and prod-read reached the doubles
    // as secrets (the log redacts secret inputs: a plain value would show here).
    const param = one("aws:ssm/parameter:Parameter", "refapp-alarms-monitor-secrets");
    assert.strictEqual((param.inputs as Obj).value, "[secret]");
    const ciSecrets = created("github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret").filter(
      (c) => (c.inputs as Obj).secretName === "FLEETGATE_GENERATED_SMOKE_API_KEY",
    );
    assert.deepStrictEqual(ciSecrets.map((c) => (c.inputs as Obj).environment).sort(), ["prod", "prod-read"]);
    for (const c of ciSecrets) assert.strictEqual((c.inputs as Obj).plaintextValue, "[secret]");
    assert.ok(!fs.readFileSync(stack.log, "utf8").includes(value!), "the value is in the doubles' log");
  });

  it("the S3 evidence ledger holds this up's deploy record, without the generated key", async () => {
    const objects = await stack.s3.objects("fleetgate-example-evidence", `fleetgate/ledger/${stack.name}/`);
    const records = Object.values(objects) as { kind?: string }[];
    assert.ok(
      records.some((r) => r.kind === "deploy"),
      JSON.stringify(Object.keys(objects)),
    );
    assert.ok(!JSON.stringify(objects).includes(smokeKey()!), "the generated key is in the evidence");
  });

  it("a second preview proposes no change to any aws/github/random resource", async () => {
    stack.clearCalls();
    await stack.ok("preview");
    assert.deepStrictEqual(stack.calls("create"), []);
    const changed = stack.calls("diff").filter((c) => (c.result as { changed: string[] }).changed.length);
    assert.deepStrictEqual(
      changed.map((c) => [c.name, c.result]),
      [],
    );
    assert.ok(stack.calls("diff").length >= creates.length, "every resource was diffed");
  });

  it("a key set by hand on a prod service: preview --refresh reports prod-foreign-env-keys (advisory) and passes", async () => {
    stack.render.setEnvVar(stack.render.serviceByName("refapp-engine")!.id, "SET_BY_HAND", "hand-made");
    const r = await stack.run("preview", "--refresh", "--policy-pack", POLICY_PACK);
    assert.strictEqual(r.code, 0, r.output);
    assert.match(r.output, /\[advisory\]\s+prod-foreign-env-keys/);
    assert.match(r.output, POLICY_CASES.find((c) => c.policy === "prod-foreign-env-keys")!.message);
    assert.doesNotMatch(r.output, /\[mandatory\]/);
    // The refresh read every double-managed resource.
    assert.ok(stack.calls("read").length >= creates.length);
  });

  it("destroy deletes every resource the doubles created and every Render service; the S3 evidence stays", async () => {
    const evidence = Object.keys(
      await stack.s3.objects("fleetgate-example-evidence", `fleetgate/ledger/${stack.name}/`),
    );
    // prod's Render resources are protected (platform.deletionPolicy defaults to protect on prod,
    // docs/render.md): tearing prod down takes an explicit unprotect first, as a team would.
    const protectedTypes = new Set(
      (
        JSON.parse(readStateFile(stack.dir, "fleetgate", stack.name)) as {
          checkpoint: { latest: { resources: { type: string; protect?: boolean }[] } };
        }
      ).checkpoint.latest.resources
        .filter((r) => r.protect)
        .map((r) => r.type),
    );
    assert.ok(protectedTypes.has("fleetgate:render:Service"), [...protectedTypes].join(", "));
    await stack.ok("state", "unprotect", "--all", "--yes");
    stack.clearCalls();
    await stack.ok("destroy", "--yes", "--skip-preview");
    const deleted = new Set(stack.calls("delete").map((c) => `${c.type} ${c.id}`));
    for (const c of creates) {
      assert.ok(deleted.has(`${c.type} ${c.id}`), `${c.type} ${c.name}`);
    }
    assert.strictEqual(stack.render.serviceByName("refapp-api"), undefined);
    // Evidence is durable: destroy removes no record from the bucket.
    const after = Object.keys(
      await stack.s3.objects("fleetgate-example-evidence", `fleetgate/ledger/${stack.name}/`),
    );
    for (const key of evidence) assert.ok(after.includes(key), `${key} was deleted`);
  });
});
