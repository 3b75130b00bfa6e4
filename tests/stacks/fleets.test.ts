/**
 * The five example fleets built as real `Fleet`s under mocks: each passes the policy pack with
 * no mandatory violation, and registers the resources its practice implies.
 *
 * setMocks is process-global: `buildExample` sets it per stack in before(); this file keeps to itself.
 */
import * as assert from "assert";
import { parse } from "yaml";
import { monitorPlan } from "../../components/monitor/plan";
import { buildExample, BuiltExample, evaluatePack, named, ofType, Registered } from "./build";
import { EXAMPLE_STACKS, ExampleStack } from "./support";

const built = new Map<ExampleStack, BuiltExample>();

/** Builds each example once, on first use. */
async function example(stack: ExampleStack): Promise<BuiltExample> {
  if (!built.has(stack)) built.set(stack, await buildExample(stack));
  return built.get(stack)!;
}

const tags = (r: Registered) => (r.props.tags ?? {}) as Record<string, string>;
const workflow = (resources: Registered[], file: string) => {
  const f = ofType(resources, "github:index/repositoryFile:RepositoryFile").find(
    (r) => r.props.file === `.github/workflows/${file}`,
  );
  assert.ok(f, `no workflow ${file}`);
  return parse(String(f.props.content)) as { jobs: Record<string, { needs?: string[]; steps?: unknown[] }> };
};
const smokeChecks = (resources: Registered[]) =>
  ofType(resources, "checks:SmokeSuite").flatMap((s) => s.props.checks as Record<string, unknown>[]);
const customAlarm = (resources: Registered[], name: string) => {
  const found = ofType(resources, "aws:cloudwatch/metricAlarm:MetricAlarm").find(
    (r) => tags(r)["fleetgate:custom-alarm"] === name,
  );
  assert.ok(found, `no CloudWatch alarm for custom alarm ${name}`);
  return found;
};

describe("example fleets under mocks and the policy pack", function () {
  this.timeout(180_000);

  for (const stack of EXAMPLE_STACKS) {
    describe(stack, () => {
      it("has no mandatory policy violation", async () => {
        const { resources } = await example(stack);
        const { mandatory } = await evaluatePack(resources);
        assert.deepStrictEqual(mandatory, []);
      });

      // HotDash deploys nothing: it has no image to float.
      if (stack === "hotdash") return;
      it("fails the pack once an image floats (the check can fail)", async () => {
        const { resources } = await example(stack);
        const services = ofType(resources, "render:Service");
        const broken = resources.map((r) =>
          r === services[0] ? { ...r, props: { ...r.props, image: "ghcr.io/x/y:latest" } } : r,
        );
        const { mandatory } = await evaluatePack(broken);
        assert.ok(
          mandatory.some((m) => m.startsWith("[pinned-images]")),
          mandatory.join("\n"),
        );
      });
    });
  }

  describe("Atlas UX", () => {
    it("pushes one env-var set, complete, to all four services", async () => {
      const { resources } = await example("atlasux");
      // One complete map per service, every key from the one set.
      const maps = ofType(resources, "render:EnvVars");
      assert.deepStrictEqual(maps.map((m) => m.props.serviceName).sort(), [
        "atlasux-api",
        "atlasux-email",
        "atlasux-engine",
        "atlasux-scheduler",
      ]);
      for (const m of maps) {
        const sources = m.props.sources as Record<string, string>;
        assert.ok("DATABASE_URL" in sources, `${m.props.serviceName} gets DATABASE_URL`);
        assert.ok(Object.values(sources).every((src) => src === "set:atlasux-shared" || src === "service"));
        assert.ok(!(m.props.plainKeys as string[]).includes("DATABASE_URL"));
      }
    });

    it("routes P1 to chat, email and SMS with the response times of its ladder", async () => {
      const { resources } = await example("atlasux");
      const topics = ofType(resources, "aws:sns/topic:Topic");
      assert.deepStrictEqual(
        topics.map((t) => [t.props.name, tags(t)["fleetgate:response-minutes"]]).sort(),
        [
          ["atlasux-prod-p1", "15"],
          ["atlasux-prod-p2", "60"],
          ["atlasux-prod-p3", "240"],
          ["atlasux-prod-p4", "1440"],
        ],
      );
      const p1 = ofType(resources, "sns/topicSubscription:TopicSubscription")
        .filter((s) => s.name.includes("-p1-"))
        .map((s) => s.props.protocol)
        .sort();
      assert.deepStrictEqual(p1, ["email", "https", "sms"]);
    });

    it("declares api_down, error_rate_spike and the custom alarms on their metrics", async () => {
      const { resources } = await example("atlasux");
      const alarms = ofType(resources, "aws:cloudwatch/metricAlarm:MetricAlarm");
      const down = alarms.find((a) => tags(a)["fleetgate:alarm"] === "service-down")!;
      assert.deepStrictEqual(
        [down.props.evaluationPeriods, down.props.datapointsToAlarm, tags(down)["fleetgate:severity"]],
        [5, 4, "P1"],
      );
      const rate = alarms.find((a) => tags(a)["fleetgate:alarm"] === "error-rate")!;
      assert.deepStrictEqual([rate.props.threshold, rate.props.evaluationPeriods], [5, 10]);

      const stalled = customAlarm(resources, "engine_stalled");
      assert.strictEqual(stalled.props.name, "atlasux-prod-engine_stalled");
      assert.strictEqual(stalled.props.comparisonOperator, "LessThanThreshold");
      assert.strictEqual(stalled.props.treatMissingData, "breaching");
      assert.deepStrictEqual(
        [stalled.props.namespace, stalled.props.metricName],
        ["atlasux/engine", "EngineTicks"],
      );
      assert.strictEqual(tags(stalled)["fleetgate:service"], "atlasux-engine");
      assert.strictEqual(tags(stalled)["fleetgate:severity"], "P2");
      const queue = customAlarm(resources, "high_queue_depth");
      assert.deepStrictEqual(
        [
          queue.props.comparisonOperator,
          queue.props.threshold,
          queue.props.period,
          queue.props.evaluationPeriods,
        ],
        ["GreaterThanThreshold", 100, 300, 3],
      );
      const pool = customAlarm(resources, "db_connections_high");
      assert.deepStrictEqual([pool.props.threshold, pool.props.evaluationPeriods], [80, 10]);
      // The p99 SLO alarm is Prometheus-only.
      assert.ok(!alarms.some((a) => tags(a)["fleetgate:custom-alarm"] === "api_latency_p99"));
    });

    it("watches the API for 15 minutes against the SLO and gates on its PostgreSQL", async () => {
      const { resources } = await example("atlasux");
      const watch = ofType(resources, "checks:PostDeployWatch");
      assert.strictEqual(watch.length, 1);
      const w = watch[0].props as Record<string, unknown>;
      assert.strictEqual(w.windowSeconds, 900);
      assert.strictEqual(w.rollback, true);
      assert.deepStrictEqual(w.targets, [
        { service: "atlasux-api", url: "https://atlasux-api.onrender.com/v1/health" },
      ]);
      assert.strictEqual((w.thresholds as Record<string, number>).maxP95Ms, 300);
      const snapshot = ofType(resources, "checks:IntegritySnapshot")[0];
      assert.strictEqual(snapshot.props.engine, "postgres");
      // The DSN came from the secret resolver, not from the file.
      assert.match(JSON.stringify(snapshot.props.connection), /mock-secret-value/);
      assert.strictEqual(ofType(resources, "ledger:EvidenceRecord").length, 1);
    });
  });

  describe("HatiData", () => {
    it("runs its checks after the deploy: API key, MCP 20+, health with version, HTML, webhook, JWKS", async () => {
      const { resources } = await example("hatidata");
      const checks = smokeChecks(resources);
      assert.deepStrictEqual(checks.map((c) => c.kind).sort(), [
        "apiKey",
        "html",
        "json",
        "jwks",
        "mcp",
        "webhook",
      ]);
      assert.strictEqual(checks.find((c) => c.kind === "mcp")!.minTools, 20);
      assert.deepStrictEqual(
        [checks.find((c) => c.kind === "json")!.field, checks.find((c) => c.kind === "json")!.present],
        ["version", true],
      );
      assert.strictEqual(
        checks.find((c) => c.kind === "jwks")!.url,
        "https://clerk.hatidata.com/.well-known/jwks.json",
      );
      // Secrets never travel with the plain check definitions.
      assert.doesNotMatch(JSON.stringify(checks), /mock-secret-value/);
      assert.strictEqual(ofType(resources, "checks:IntegrityVerify")[0].props.engine, "duckdb");
    });

    it("monitors every 12 hours with the same checks and emails on failure", async () => {
      const { resources, config } = await example("hatidata");
      const rule = ofType(resources, "aws:cloudwatch/eventRule:EventRule")[0];
      assert.strictEqual(rule.props.scheduleExpression, "rate(12 hours)");
      const plan = monitorPlan(config);
      const health = plan.checks.find((c) => c.name === "control-plane-health")!;
      assert.strictEqual(health.timeoutMs, 5000);
      assert.ok(plan.checks.some((c) => c.kind === "jwks" && c.target === "clerk"));
      const p2mail = ofType(resources, "sns/topicSubscription:TopicSubscription").filter(
        (s) => s.name.includes("-p2-") && s.props.protocol === "email",
      );
      assert.strictEqual(p2mail.length, 1);
    });

    it("pipeline: lint and 2 flag variants -> build -> E2E gate -> images -> dev -> preprod", async () => {
      const { resources } = await example("hatidata");
      const ci = workflow(resources, "ci.yml");
      const needs = (job: string) => ci.jobs[job]?.needs ?? [];
      assert.deepStrictEqual(needs("build"), ["lint", "test"]);
      assert.deepStrictEqual(needs("e2e"), ["build"]);
      for (const image of ["image-proxy", "image-control-plane", "image-dashboard"]) {
        assert.deepStrictEqual(needs(image), ["e2e"]);
        assert.ok(needs("deploy-dev").includes(image));
      }
      assert.deepStrictEqual(needs("deploy-preprod"), ["deploy-dev"]);
      const matrix = (ci.jobs.test as { strategy?: { matrix?: { include?: { variant: string }[] } } })
        .strategy;
      assert.deepStrictEqual(
        matrix?.matrix?.include?.map((v) => v.variant),
        ["default-features", "all-features"],
      );
      // The variants differ only if the test command reads the variable they set.
      const flags = matrix?.matrix?.include?.map((v) => JSON.stringify(v)) ?? [];
      assert.strictEqual(new Set(flags).size, 2);
      assert.match(JSON.stringify(ci.jobs.test), /cargo test --workspace \$CARGO_TEST_FLAGS/);
    });
  });

  describe("MadBase", () => {
    it("pins the observability stack to exact tags", async () => {
      const { resources } = await example("madbase");
      const images = Object.fromEntries(
        ofType(resources, "render:Service").map((s) => [s.props.name, s.props.image]),
      );
      assert.strictEqual(images["madbase-victoria-metrics"], "victoriametrics/victoria-metrics:v1.101.0");
      assert.strictEqual(images["madbase-vmagent"], "victoriametrics/vmagent:v1.101.0");
      assert.strictEqual(images["madbase-loki"], "grafana/loki:2.9.6");
      assert.strictEqual(images["madbase-grafana"], "grafana/grafana:10.4.2");
      // Render health-checks web services only: private ones declare none (a config error).
      for (const s of ofType(resources, "render:Service")) {
        if (s.props.serviceType === "web")
          assert.ok(s.props.healthCheckPath, `${s.props.name} has no health check path`);
        else assert.strictEqual(s.props.healthCheckPath, undefined, `${s.props.name} is not a web service`);
      }
    });

    it("checks /health JSON and the request id at deploy", async () => {
      const { resources } = await example("madbase");
      const kinds = smokeChecks(resources).map((c) => `${c.kind}:${c.path}`);
      assert.deepStrictEqual(kinds.sort(), ["json:/health", "requestId:/health"]);
    });

    it("CI lints without || true and tests against PostgreSQL before any deploy", async () => {
      const { resources } = await example("madbase");
      const ci = workflow(resources, "ci.yml");
      assert.doesNotMatch(JSON.stringify(ci), /\|\| true/);
      assert.match(JSON.stringify(ci.jobs.rust.steps), /postgres:15\.6/);
      assert.ok(ci.jobs["deploy-prod"].needs?.includes("rust"));
      // Every `uses:` is pinned to a commit SHA.
      for (const m of JSON.stringify(ci).matchAll(/"uses":"([^"]+)"/g)) {
        if (!m[1].startsWith("./")) assert.match(m[1], /@[0-9a-f]{40}$/); // local reusable workflows need no pin
      }
    });
  });

  describe("Haven", () => {
    it("makes only the gateway public", async () => {
      const { resources } = await example("haven");
      const pub = ofType(resources, "render:Service").filter((s) => s.props.serviceType === "web");
      assert.deepStrictEqual(
        pub.map((s) => s.props.name),
        ["haven-gateway"],
      );
    });

    it("deploys in its order: worker down -> catalog -> gateway -> (gateway smoke) -> search -> worker up", async () => {
      const { resources } = await example("haven");
      const deps = (type: string, name: string) => named(resources, type, name).dependsOn;
      assert.ok(
        deps("render:Deploy", "render-haven-catalog-deploy").includes("render-haven-embedding-scale-down"),
      );
      assert.ok(deps("render:Deploy", "render-haven-gateway-deploy").includes("render-haven-catalog-deploy"));
      assert.ok(deps("render:Deploy", "render-haven-search-deploy").includes("render-haven-gateway-deploy"));
      const gate = deps("render:Deploy", "render-haven-search-deploy").find((d) =>
        d.startsWith("smoke-wave"),
      );
      assert.ok(gate, "search waits for no smoke suite of the gateway's wave");
      assert.deepStrictEqual(named(resources, "checks:SmokeSuite", gate).props.targets, ["haven-gateway"]);
      assert.ok(
        deps("render:Deploy", "render-haven-embedding-deploy").includes("render-haven-search-deploy"),
      );
      assert.ok(
        deps("render:Scale", "render-haven-embedding-scale-up").includes("render-haven-embedding-deploy"),
      );
      assert.strictEqual(
        named(resources, "render:Scale", "render-haven-embedding-scale-down").props.numInstances,
        0,
      );
      // Nothing changes before the backup.
      for (const s of ofType(resources, "render:Service")) assert.ok(s.dependsOn.includes("backup"));
    });

    it("keeps secrets per service and smoke-tests with the bearer token kept secret", async () => {
      const { resources } = await example("haven");
      const sets = ofType(resources, "render:EnvVars");
      assert.strictEqual(sets.length, 5); // one per service with env vars (Qdrant included)
      const gw = sets.find((s) => s.props.serviceName === "haven-gateway")!;
      assert.ok(
        !(gw.props.plainKeys as string[]).some((k) => /TOKEN|SECRET|ACCESS_KEY|DATABASE_URL/.test(k)),
      );
      const checks = smokeChecks(resources);
      assert.deepStrictEqual(checks.map((c) => c.path).sort(), ["/v1/healthz", "/v1/search?q=hello"]);
      assert.doesNotMatch(JSON.stringify(checks), /mock-secret-value|Bearer/);
    });

    it("alarms on stalled work and storage through Prometheus only", async () => {
      const { resources, fleet } = await example("haven");
      assert.ok(!ofType(resources, "MetricAlarm").some((a) => tags(a)["fleetgate:alarm"] === "custom"));
      for (const name of ["chunks_pending_stalled", "postgres_storage_high", "minio_storage_high"]) {
        assert.match(fleet.alarms!.prometheusRules, new RegExp(`alert: ${name}`));
      }
    });
  });

  describe("HotDash", () => {
    it("deploys nothing and checks its five external targets", async () => {
      const { resources } = await example("hotdash");
      assert.deepStrictEqual(ofType(resources, "render:Service"), []);
      assert.deepStrictEqual(ofType(resources, "render:EnvVars"), []);
      const suite = ofType(resources, "checks:SmokeSuite");
      assert.strictEqual(suite.length, 1);
      assert.deepStrictEqual([...(suite[0].props.targets as string[])].sort(), [
        "chatwoot-staging",
        "hotdash-agent-service",
        "hotdash-llamaindex-mcp",
        "hotdash-staging",
        "supabase",
      ]);
    });

    it("monitors every 4 hours and escalates: down/5xx immediate, health 5 min, slow 15 min", async () => {
      const { resources, fleet } = await example("hotdash");
      assert.strictEqual(
        ofType(resources, "eventRule:EventRule")[0].props.scheduleExpression,
        "rate(4 hours)",
      );
      const minutes = Object.fromEntries(
        ofType(resources, "sns/topic:Topic").map((t) => [
          tags(t)["fleetgate:severity"],
          tags(t)["fleetgate:response-minutes"],
        ]),
      );
      assert.deepStrictEqual(minutes, { P1: "0", P2: "5", P3: "15", P4: "240" });
      const bySeverity = (kind: string) =>
        ofType(resources, "MetricAlarm")
          .filter((a) => tags(a)["fleetgate:alarm"] === kind)
          .map((a) => tags(a)["fleetgate:severity"]);
      assert.deepStrictEqual(new Set(bySeverity("service-down")), new Set(["P1"]));
      assert.deepStrictEqual(new Set(bySeverity("latency")), new Set(["P3"]));
      const slow = ofType(resources, "MetricAlarm").find((a) => tags(a)["fleetgate:alarm"] === "latency")!;
      assert.strictEqual(slow.props.threshold, 5000);
      const fqdns = ofType(resources, "route53/healthCheck:HealthCheck").map((h) => h.props.fqdn);
      assert.deepStrictEqual(fqdns.sort(), [
        "chatwoot-staging.fly.dev",
        "hotdash-agent-service.fly.dev",
        "hotdash-llamaindex-mcp.fly.dev",
        "hotdash-staging.fly.dev",
      ]);
      assert.match(fleet.alarms!.prometheusRules, /alert: fly_any_5xx[\s\S]*severity: P1/);
    });

    it("expects the migration's tables, view and row-level security, and logs evidence", async () => {
      const { resources } = await example("hotdash");
      const verify = ofType(resources, "checks:IntegrityVerify")[0];
      assert.deepStrictEqual(verify.props.expect, {
        tables: ["public.picker_earnings", "public.picker_payments"],
        views: ["public.picker_balances"],
        rowLevelSecurity: ["public.picker_earnings", "public.picker_payments"],
      });
      assert.strictEqual(ofType(resources, "ledger:EvidenceRecord").length, 1);
    });
  });
});
