/**
 * Deploy waves in the Fleet under Pulumi mocks (render platform): per-wave smoke suites, the
 * dependency order the engine will follow (read from the registration requests), scale steps
 * around the rollout, and the config rules of `after` and `fleet.rollout`.
 * Self-contained: setMocks is process-global.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as pulumi from "@pulumi/pulumi";
import { Fleet } from "../../components/fleet";
import { SecretResolver } from "../../components/secrets";
import { validateStackConfig } from "../../config/load";
import type { StackConfig } from "../../config/schema";
import { serviceWaves } from "../../config/waves";
import { tempDir } from "../support/engine";

interface Registered {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
  /** Names of the resources this one depends on directly. */
  deps: string[];
}
let registered: Registered[] = [];
const depsByName = new Map<string, string[]>();

async function settle(): Promise<void> {
  let last = -1;
  for (let i = 0; i < 100 && registered.length !== last; i++) {
    last = registered.length;
    await new Promise((r) => setTimeout(r, 30));
  }
  for (const r of registered) r.deps = depsByName.get(r.name) ?? [];
}

const fakeSecrets: SecretResolver = {
  resolve: (ref) => pulumi.secret("secret" in ref ? `value-of-${ref.secret}` : `generated-${ref.generated}`),
  value: (v) => (typeof v === "string" ? pulumi.output(v) : fakeSecrets.resolve(v)),
};

/** Haven's runbook as config: catalog → gateway → search → embedder, embedder scaled down. */
function haven(overrides: { services?: unknown[]; rollout?: unknown; checks?: unknown[] } = {}) {
  return {
    platform: { kind: "render", ownerId: "tea-abc123" },
    fleet: {
      name: "haven",
      environment: "prod",
      services: overrides.services ?? [
        {
          name: "catalog",
          type: "private",
          image: "ghcr.io/h/catalog:3.1.0",
          url: "https://catalog.internal",
        },
        {
          name: "gateway",
          type: "web",
          image: "ghcr.io/h/gateway:2.0.0",
          healthCheckPath: "/health",
          url: "https://gw.example.com",
          after: ["catalog"],
        },
        {
          name: "search",
          type: "private",
          image: "ghcr.io/h/search:1.4.0",
          url: "https://search.internal",
          after: ["gateway"],
        },
        {
          name: "embedder",
          type: "worker",
          image: "ghcr.io/h/embedder:0.9.0",
          instances: 3,
          after: ["search"],
        },
      ],
      externalTargets: [{ name: "auth", url: "https://auth.example.com" }],
      ...(overrides.rollout === undefined ? { rollout: { scaleDown: ["embedder"] } } : {}),
      ...(overrides.rollout ? { rollout: overrides.rollout } : {}),
    },
    gates: {
      smoke: {
        checks: overrides.checks ?? [
          { name: "catalog-up", kind: "http", target: "catalog", path: "/health" },
          { name: "gateway-up", kind: "http", target: "gateway", path: "/health" },
          { name: "search-up", kind: "http", target: "search", path: "/health" },
          { name: "auth-up", kind: "http", target: "auth", path: "/health" },
        ],
      },
    },
  };
}

function parse(raw: unknown): StackConfig {
  const r = validateStackConfig(raw, { secretKeys: new Set() });
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.config;
}

function issuesOf(raw: unknown): string[] {
  const r = validateStackConfig(raw, { secretKeys: new Set() });
  return r.ok ? [] : r.issues.map((i) => `${i.path}: ${i.message}`);
}

const byName = (name: string) => {
  const r = registered.find((x) => x.name === name);
  assert.ok(r, `resource ${name} is registered (have: ${registered.map((x) => x.name).join(", ")})`);
  return r;
};

describe("deploy waves in the Fleet (mocks)", function () {
  this.timeout(30_000);
  let dir: string;
  let cwd: string;

  before(async () => {
    dir = tempDir("waves-mocks");
    cwd = process.cwd();
    process.chdir(dir); // the Fleet's ledger and local paths resolve under the project dir
    pulumi.runtime.setMocks(
      {
        newResource(args) {
          registered.push({ type: args.type, name: args.name, inputs: args.inputs, deps: [] });
          const state: Record<string, unknown> = { ...args.inputs };
          if (args.type === "fleetgate:render:Service") {
            state.url =
              args.inputs.serviceType === "web" ? `https://${args.inputs.name}.onrender.com` : undefined;
            return { id: `srv-${args.inputs.name}`, state };
          }
          if (args.type === "fleetgate:render:Deploy") {
            state.deployId = "dep-new";
            state.previousDeployId = "dep-old";
          }
          if (args.type === "pulumi-nodejs:dynamic/checks:SmokeSuite") state.results = [];
          return { id: `${args.name}-id`, state };
        },
        call: (args) => args.inputs,
      },
      "fleetgate",
      "prod",
      false,
    );
    // The mocks hand newResource no dependencies: record them from the registration request.
    const { getMonitor } = await import("@pulumi/pulumi/runtime/settings");
    const monitor = getMonitor() as unknown as {
      registerResource(req: { getName(): string; getDependenciesList(): string[] }, cb: unknown): unknown;
    };
    const original = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req, cb) => {
      depsByName.set(
        req.getName(),
        req.getDependenciesList().map((urn) => urn.split("::").pop()!),
      );
      return original(req, cb);
    };
  });
  after(() => {
    process.chdir(cwd);
    fs.rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    registered = [];
    depsByName.clear();
  });

  it("computes effective waves from after (and numeric waves)", () => {
    const cfg = parse(haven());
    assert.deepStrictEqual(Object.fromEntries(serviceWaves(cfg.fleet)), {
      catalog: 0,
      gateway: 1,
      search: 2,
      embedder: 3,
    });
    const mixed = serviceWaves({
      services: [
        { name: "a", type: "web", wave: 2 },
        { name: "b", type: "web", wave: 0, after: ["a"] },
        { name: "c", type: "web", wave: 5, after: ["a"] },
      ],
    });
    assert.deepStrictEqual(Object.fromEntries(mixed), { a: 2, b: 3, c: 5 });
  });

  it("runs each wave's checks before the next wave deploys; the final suite runs only the rest", async () => {
    new Fleet("haven", { config: parse(haven()), secrets: fakeSecrets });
    await settle();
    const suites = registered.filter((r) => r.type === "pulumi-nodejs:dynamic/checks:SmokeSuite");
    const checkNames = (r: Registered) => (r.inputs.checks as { name: string }[]).map((c) => c.name);
    assert.deepStrictEqual(
      suites.map((s) => [s.name, s.inputs.targets, checkNames(s)]),
      [
        ["smoke-wave-1", ["catalog"], ["catalog-up"]],
        ["smoke-wave-2", ["gateway"], ["gateway-up"]],
        ["smoke-wave-3", ["search"], ["search-up"]],
        ["smoke", ["auth"], ["auth-up"]],
      ],
    );
    // No check runs twice, and together the suites cover every target (the policy pack's view).
    const all = suites.flatMap(checkNames);
    assert.strictEqual(new Set(all).size, all.length);
    assert.deepStrictEqual(
      new Set(suites.flatMap((s) => s.inputs.targets as string[])),
      new Set(["catalog", "gateway", "search", "auth"]),
    );

    // Wave n's deploy waits for wave n-1's suite, which waits for wave n-1's deploy.
    assert.ok(byName("smoke-wave-1").deps.includes("render-catalog-deploy"));
    assert.ok(byName("render-gateway-deploy").deps.includes("smoke-wave-1"));
    assert.ok(!byName("render-catalog-deploy").deps.some((d) => d.startsWith("smoke")));
    assert.ok(byName("smoke-wave-2").deps.includes("render-gateway-deploy"));
    assert.ok(byName("render-search-deploy").deps.includes("smoke-wave-2"));
    assert.ok(byName("render-embedder-deploy").deps.includes("smoke-wave-3"));
    // The final suite waits for every wave suite and every service (incl. the scale-up).
    for (const d of [
      "smoke-wave-1",
      "smoke-wave-2",
      "smoke-wave-3",
      "render-embedder-deploy",
      "render-embedder-scale-up",
    ]) {
      assert.ok(byName("smoke").deps.includes(d), `final smoke depends on ${d}`);
    }
  });

  it("scales the named service to 0 before the first wave and back to its instances after its own deploy", async () => {
    const fleet = new Fleet("haven", { config: parse(haven()), secrets: fakeSecrets });
    await settle();
    const scales = registered.filter((r) => r.type === "fleetgate:render:Scale");
    assert.deepStrictEqual(
      scales.map((s) => [
        s.name,
        s.inputs.phase,
        s.inputs.numInstances,
        s.inputs.serviceName,
        s.inputs.revision,
      ]),
      [
        ["render-embedder-scale-down", "down", 0, "embedder", fleet.revision],
        ["render-embedder-scale-up", "up", 3, "embedder", fleet.revision],
      ],
    );
    assert.strictEqual(byName("render-embedder-scale-down").inputs.serviceId, "srv-embedder");
    assert.ok(byName("render-embedder-scale-down").deps.includes("render-embedder"));
    // Every deploy, the first wave's included, waits for the scale-down.
    for (const d of [
      "render-catalog-deploy",
      "render-gateway-deploy",
      "render-search-deploy",
      "render-embedder-deploy",
    ]) {
      assert.ok(byName(d).deps.includes("render-embedder-scale-down"), `${d} waits for the scale-down`);
    }
    assert.deepStrictEqual(byName("render-embedder-scale-up").deps.sort(), [
      "render-embedder",
      "render-embedder-deploy",
      "render-embedder-scale-down",
    ]);
  });

  it("with a single wave registers one suite with every check, as before", async () => {
    const services = [
      { name: "api", type: "web", image: "ghcr.io/h/api:1.0.0", healthCheckPath: "/health" },
      { name: "jobs", type: "worker", image: "ghcr.io/h/jobs:1.0.0" },
    ];
    const checks = [
      { name: "api-up", kind: "http", target: "api", path: "/health" },
      { name: "auth-up", kind: "http", target: "auth", path: "/health" },
    ];
    const fleet = new Fleet("single", {
      config: parse(haven({ services, checks, rollout: false })),
      secrets: fakeSecrets,
    });
    await settle();
    const suites = registered.filter((r) => r.type === "pulumi-nodejs:dynamic/checks:SmokeSuite");
    assert.deepStrictEqual(
      suites.map((s) => [s.name, s.inputs.targets]),
      [["smoke", ["api", "auth"]]],
    );
    assert.strictEqual(registered.filter((r) => r.type.endsWith("render:Scale")).length, 0);
    assert.strictEqual(fleet.gates.post.waveSmoke, undefined);
  });

  it("refuses a cycle or an unknown name in after, naming the field", () => {
    const cyclic = haven();
    (cyclic.fleet.services[0] as { after?: string[] }).after = ["embedder"];
    const issues = issuesOf(cyclic);
    assert.strictEqual(issues.length, 1, issues.join("\n"));
    assert.match(
      issues[0],
      /^fleet\.services\[\d\]\.after: cycle in after: .*catalog.*→.*gateway.*; services in a cycle/,
    );

    const unknown = haven();
    (unknown.fleet.services[1] as { after?: string[] }).after = ["catalgo"];
    assert.deepStrictEqual(issuesOf(unknown), [
      'fleet.services[1].after[0]: unknown service "catalgo"; name a service declared under fleet.services',
    ]);
    const self = haven();
    (self.fleet.services[1] as { after?: string[] }).after = ["gateway"];
    assert.match(
      issuesOf(self)[0],
      /^fleet\.services\[1\]\.after\[0\]: service "gateway" cannot deploy after itself/,
    );
  });

  it("refuses scaling an unknown service, a web service or a cron job to 0, naming the field", () => {
    assert.deepStrictEqual(issuesOf(haven({ rollout: { scaleDown: ["embedder", "embeder"] } })), [
      'fleet.rollout.scaleDown[1]: unknown service "embeder"; name a service declared under fleet.services',
    ]);
    const web = issuesOf(haven({ rollout: { scaleDown: ["gateway"] } }));
    assert.strictEqual(web.length, 1);
    assert.match(
      web[0],
      /^fleet\.rollout\.scaleDown\[0\]: "gateway" is a public web service; scaling it to 0/,
    );
    assert.deepStrictEqual(issuesOf(haven({ rollout: { scaleDwn: ["embedder"] } })), [
      'fleet.rollout.scaleDwn: unknown key "scaleDwn"; remove it or check its spelling',
    ]);
  });
});
