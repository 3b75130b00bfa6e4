/**
 * components/gates.ts under pulumi.runtime.setMocks: which gate resources are registered, with
 * which inputs (URLs resolved, secrets split off into one secret input). Self-contained file:
 * setMocks is process-global.
 */
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { stackConfig, StackConfig } from "../../config/schema";
import { buildPostDeployGates, buildPreDeployGates, declaredDeployKey } from "../../components/gates";
import type { PlatformResult } from "../../components/platform";
import type { SecretResolver } from "../../components/secrets";

interface Registered {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
}
const registered: Registered[] = [];
/** Pulumi's marker of a secret value on the wire (sdk/nodejs/runtime/rpc.ts). */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const SECRET_MARK = "1b47061264138c4ac30d75fd1eb44270";

function config(extra: Record<string, unknown> = {}): StackConfig {
  return stackConfig.parse({
    platform: { kind: "render", ownerId: "tea-abc123" },
    fleet: {
      name: "refapp",
      environment: "dev",
      services: [
        { name: "api", type: "web", image: "ghcr.io/x/api:1.0.0", healthCheckPath: "/health" },
        { name: "jobs", type: "worker", image: "ghcr.io/x/api:1.0.0" },
      ],
      externalTargets: [{ name: "auth", url: "https://auth.example.com/" }],
    },
    gates: {
      smoke: {
        checks: [
          { name: "health", kind: "json", target: "api", path: "/health", field: "status", equals: "ok" },
          {
            name: "key",
            kind: "apiKey",
            target: "api",
            path: "/v1/me",
            validKey: { secret: "smokeApiKey" },
            timeoutMs: 900,
          },
          {
            name: "jwks",
            kind: "jwks",
            target: "auth",
            path: "/.well-known/jwks.json",
            headers: { "X-Token": { secret: "authToken" } },
          },
        ],
      },
      integrity: {
        engine: "postgres",
        connection: { secret: "databaseUrl" },
        criticalTables: ["public.users"],
      },
    },
    ...extra,
  });
}

const secrets: SecretResolver = {
  resolve: (ref) => pulumi.secret(`value-of-${"secret" in ref ? ref.secret : ref.generated}`),
  value: (v) =>
    typeof v === "string"
      ? pulumi.output(v)
      : pulumi.secret(`value-of-${"secret" in v ? v.secret : v.generated}`),
};

function platform(): PlatformResult {
  const svc = (name: string, url: string | undefined) => ({
    name,
    id: pulumi.output(`srv-${name}`),
    url: pulumi.output(url),
    deployment: pulumi.output(`srv-${name}:dep-1`),
    ready: [],
    rollback: pulumi.output({
      platform: "render" as const,
      baseUrl: "https://api.render.com/v1",
      serviceId: `srv-${name}`,
    }),
  });
  return {
    services: { api: svc("api", "https://api.example.com"), jobs: svc("jobs", undefined) },
    envSets: {},
  };
}

class Parent extends pulumi.ComponentResource {
  constructor(name: string) {
    super("fleetgate:test:Parent", name, {}, {});
  }
}

/** Waits for an Output's value (mocks resolve asynchronously). */
const valueOf = <T>(o: pulumi.Output<T>) => new Promise<T>((resolve) => o.apply(resolve));

describe("gates: wiring under mocks", () => {
  before(() => {
    pulumi.runtime.setMocks(
      {
        newResource: (args) => {
          registered.push({ type: args.type, name: args.name, inputs: args.inputs });
          return { id: `${args.name}-id`, state: args.inputs };
        },
        call: (args) => args.inputs,
      },
      "fleetgate",
      "gates-test",
      false,
    );
  });

  it("registers snapshot, smoke suite and verify with resolved URLs and split secrets", async () => {
    registered.length = 0;
    const parent = new Parent("fleet1");
    const cfg = config();
    const pre = buildPreDeployGates(parent, { config: cfg, secrets, revision: "rev1" });
    assert.strictEqual(pre.before.length, 1);
    const post = buildPostDeployGates(parent, {
      config: cfg,
      secrets,
      revision: "rev1",
      platform: platform(),
      pre,
      rollback: async () => "x",
    });
    await valueOf(pulumi.all([post.smoke!.urn, post.verify!.urn, pre.snapshot!.urn]));

    const types = registered.map((r) => r.type);
    assert.ok(types.includes("pulumi-nodejs:dynamic/checks:IntegritySnapshot"));
    assert.ok(types.includes("pulumi-nodejs:dynamic/checks:SmokeSuite"));
    assert.ok(types.includes("pulumi-nodejs:dynamic/checks:IntegrityVerify"));

    const smoke = registered.find((r) => r.type.endsWith(":SmokeSuite"))!.inputs;
    assert.deepStrictEqual(smoke.targets, ["api", "auth"]);
    assert.strictEqual(smoke.revision, "rev1");
    const checks = smoke.checks as Record<string, unknown>[];
    assert.deepStrictEqual(
      checks.map((c) => [c.name, c.url, c.timeoutMs]),
      [
        ["health", "https://api.example.com/health", 5000],
        ["key", "https://api.example.com/v1/me", 900],
        ["jwks", "https://auth.example.com/.well-known/jwks.json", 5000],
      ],
    );
    assert.ok(
      checks.every((c) => !("validKey" in c) && !("headers" in c)),
      "secrets leaked into the plain checks",
    );
    // One secret input (the mocks see Pulumi's secret envelope) holding every secret part.
    const bag = smoke.secrets as Record<string, unknown>;
    assert.strictEqual(bag[SECRET_SIG], SECRET_MARK, "the check secrets are not marked secret");
    assert.deepStrictEqual(bag.value, {
      key: { validKey: "value-of-smokeApiKey" },
      jwks: { headers: { "x-token": "value-of-authToken" } },
    });

    const snapshot = registered.find((r) => r.type.endsWith(":IntegritySnapshot"))!.inputs;
    assert.strictEqual(snapshot.engine, "postgres");
    assert.deepStrictEqual(snapshot.connection, { [SECRET_SIG]: SECRET_MARK, value: "value-of-databaseUrl" });
    assert.deepStrictEqual(snapshot.criticalTables, ["public.users"]);

    // Triggers: the final suite and the verify key on every service's deployment; the snapshot
    // on a secret hash of the declared deploy inputs (never the values themselves).
    assert.deepStrictEqual(smoke.deployments, { api: "srv-api:dep-1", jobs: "srv-jobs:dep-1" });
    const verify = registered.find((r) => r.type.endsWith(":IntegrityVerify"))!.inputs;
    assert.deepStrictEqual(verify.deployments, { api: "srv-api:dep-1", jobs: "srv-jobs:dep-1" });
    const key = snapshot.deployKey as Record<string, unknown>;
    assert.strictEqual(key[SECRET_SIG], SECRET_MARK, "the deploy key is a secret");
    assert.match(key.value as string, /^[0-9a-f]{32}$/);
  });

  it("the snapshot's deploy key changes with a secret value, an image or a run setting, and only then", async () => {
    const keyOf = (cfg: StackConfig, r: SecretResolver = secrets) => valueOf(declaredDeployKey(cfg, r));
    const base = await keyOf(config());
    assert.strictEqual(await keyOf(config()), base, "stable");
    const rotated: SecretResolver = {
      ...secrets,
      value: (v) => (typeof v === "string" ? pulumi.output(v) : pulumi.secret("rotated")),
    };
    const withEnv = config();
    withEnv.fleet.services[0].env = { TOKEN: { secret: "token" } };
    assert.notStrictEqual(await keyOf(withEnv), base);
    assert.notStrictEqual(await keyOf(withEnv, rotated), await keyOf(withEnv), "a rotated secret value");
    const image = config();
    image.fleet.services[0].image = "ghcr.io/x/api:9.9.9";
    assert.notStrictEqual(await keyOf(image), base);
    const run = config();
    run.fleet.services[0].dockerCommand = "node other.js";
    assert.notStrictEqual(await keyOf(run), base);
  });

  it("registers no gates when the config has none", () => {
    const cfg = config({ gates: {} });
    const pre = buildPreDeployGates(new Parent("fleet2"), { config: cfg, secrets, revision: "rev1" });
    assert.deepStrictEqual(pre.before, []);
    const post = buildPostDeployGates(new Parent("fleet2b"), {
      config: cfg,
      secrets,
      revision: "rev1",
      platform: platform(),
      pre,
    });
    assert.deepStrictEqual(post, {});
  });

  it("refuses a check whose target is a worker, naming the field", () => {
    const cfg = config();
    cfg.gates.smoke!.checks = [{ name: "w", kind: "http", target: "jobs", path: "/", expectStatus: 200 }];
    const pre = buildPreDeployGates(new Parent("fleet3"), { config: cfg, secrets, revision: "rev1" });
    assert.throws(
      () =>
        buildPostDeployGates(new Parent("fleet3b"), {
          config: cfg,
          secrets,
          revision: "rev1",
          platform: platform(),
          pre,
        }),
      /gates\.smoke\.checks\[0\]\.target: service "jobs" is a worker and serves no HTTP/,
    );
  });

  it("gives log and liveness checks on a worker their source and the Render key as a secret; the verify its SQL checks", async () => {
    registered.length = 0;
    const cfg = config({
      platform: { kind: "render", ownerId: "tea-abc123", apiKey: { secret: "renderApiKey" } },
    });
    cfg.gates.smoke!.checks = [
      ...cfg.gates.smoke!.checks.slice(0, 1),
      { ...logCheck, name: "jobs-log", target: "jobs" },
      { name: "jobs-alive", kind: "liveness", target: "jobs", path: "/", minUptimeSeconds: 5 },
    ];
    cfg.gates.integrity!.sql = [{ name: "version", query: "select 1", equals: 1, timeoutMs: 2000 }];
    const parent = new Parent("fleet4");
    const pre = buildPreDeployGates(parent, { config: cfg, secrets, revision: "rev1" });
    const post = buildPostDeployGates(parent, {
      config: cfg,
      secrets,
      revision: "rev1",
      platform: platform(),
      pre,
      rollback: async () => "x",
    });
    await valueOf(pulumi.all([post.smoke!.urn, post.verify!.urn]));
    const smoke = registered.find((r) => r.type.endsWith(":SmokeSuite"))!.inputs;
    const checks = smoke.checks as Record<string, unknown>[];
    const render = { baseUrl: "https://api.render.com/v1", ownerId: "tea-abc123" };
    assert.deepStrictEqual(
      checks.map((c) => [c.name, c.url, c.logSource ?? c.livenessSource]),
      [
        ["health", "https://api.example.com/health", undefined],
        ["jobs-log", "", { kind: "render", ...render, resourceId: "srv-jobs" }],
        ["jobs-alive", "", { kind: "render", baseUrl: render.baseUrl, serviceId: "srv-jobs" }],
      ],
    );
    assert.ok(
      !JSON.stringify(checks).includes("value-of-renderApiKey"),
      "the API key is in the plain checks",
    );
    const bag = smoke.secrets as Record<string, unknown>;
    assert.strictEqual(bag[SECRET_SIG], SECRET_MARK, "the check secrets are not marked secret");
    assert.deepStrictEqual(bag.value, {
      "jobs-log": { apiKey: "value-of-renderApiKey" },
      "jobs-alive": { apiKey: "value-of-renderApiKey" },
    });
    const verify = registered.find((r) => r.type.endsWith(":IntegrityVerify"))!.inputs;
    assert.deepStrictEqual(verify.sql, [{ name: "version", query: "select 1", equals: 1, timeoutMs: 2000 }]);
  });

  it("refuses a log check on an external target, naming the field", () => {
    const cfg = config();
    cfg.gates.smoke!.checks = [{ ...logCheck, name: "auth-log", target: "auth" }];
    const pre = buildPreDeployGates(new Parent("fleet5"), { config: cfg, secrets, revision: "rev1" });
    assert.throws(
      () =>
        buildPostDeployGates(new Parent("fleet5b"), {
          config: cfg,
          secrets,
          revision: "rev1",
          platform: platform(),
          pre,
        }),
      /gates\.smoke\.checks\[0\]\.target: a log check reads a deployed service's logs, and "auth" is not a service of this fleet/,
    );
  });
});

/** A `log` check as the schema fills it in (target and name set by each test). */
const logCheck = {
  kind: "log" as const,
  path: "/",
  absent: ["panic:"],
  present: [],
  windowSeconds: 300,
  watchSeconds: 0,
};
