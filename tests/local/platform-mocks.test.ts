/**
 * The local PlatformBuilder under Pulumi mocks (no engine): which resources it declares and
 * with which inputs. setMocks is process-global: this file sets it in before() and is
 * self-contained.
 */
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../../config/schema";
import { parseStackConfig } from "../../config/load";

interface Registered {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
}

const raw = {
  platform: { kind: "local", stateDir: "/tmp/fleetgate-mocks-state" },
  fleet: {
    name: "demo",
    environment: "local",
    services: [
      {
        name: "api",
        type: "web",
        image: "ghcr.io/x/api:1.0.0",
        healthCheckPath: "/health",
        local: { command: ["node", "api.js"], port: 41001 },
      },
      {
        name: "jobs",
        type: "worker",
        image: "ghcr.io/x/jobs:1.0.0",
        env: { QUEUE: "q" },
        local: { command: ["node", "jobs.js"], port: 41002 },
      },
      {
        name: "web",
        type: "web",
        image: "ghcr.io/x/web:1.0.0",
        healthCheckPath: "/",
        wave: 1,
        local: { command: ["node", "web.js"], port: 41003 },
      },
    ],
    envSets: [
      { name: "core", services: ["api", "web"], vars: { MODE: "demo", KEY: { generated: "api-key" } } },
    ],
  },
  gates: { smoke: { checks: [{ name: "api-up", kind: "http", target: "api", path: "/health" }] } },
};

describe("local platform: resources declared (mocks)", () => {
  const registered: Registered[] = [];
  let config: StackConfig;

  before(async () => {
    pulumi.runtime.setMocks(
      {
        newResource: (args) => {
          registered.push({ type: args.type, name: args.name, inputs: args.inputs });
          const outs: Record<string, unknown> = { ...args.inputs };
          if (args.type.endsWith("local:EnvFile")) {
            outs.generations = Object.fromEntries((args.inputs.services as string[]).map((s) => [s, 1]));
            outs.foreignKeys = {};
          }
          if (args.type.endsWith("local:Secrets")) outs.values = { "api-key": "generated-value" };
          if (args.type.endsWith("local:Service")) outs.url = `http://127.0.0.1:${args.inputs.port}`;
          return { id: `${args.name}-id`, state: outs };
        },
        call: () => ({}),
      },
      "fleetgate",
      "test-mocks",
      false,
    );
    config = parseStackConfig(raw, { secretKeys: new Set() });
    const { Fleet } = await import("../../components/fleet");
    const fleet = new Fleet("demo", { config });
    await new Promise<void>((resolve) => fleet.serviceUrls.apply(() => resolve()));
    await new Promise((r) => setTimeout(r, 200));
  });

  const byType = (t: string) => registered.filter((r) => r.type === `pulumi-nodejs:dynamic/local:${t}`);

  it("declares one Service per service with the convention's inputs", () => {
    const services = byType("Service");
    assert.deepStrictEqual(services.map((s) => s.inputs.name).sort(), ["api", "jobs", "web"]);
    const api = services.find((s) => s.inputs.name === "api")!.inputs;
    assert.strictEqual(api.serviceType, "web");
    assert.strictEqual(api.public, true);
    assert.strictEqual(api.image, "ghcr.io/x/api:1.0.0");
    assert.strictEqual(api.healthCheckPath, "/health");
    assert.strictEqual(api.stateDir, "/tmp/fleetgate-mocks-state");
    assert.strictEqual(api.envGeneration, 1);
  });

  it("lets the smoke gate judge covered services; uncovered ones fail their own deploy", () => {
    const fail = Object.fromEntries(byType("Service").map((s) => [s.inputs.name, s.inputs.failOnUnhealthy]));
    assert.deepStrictEqual(fail, { api: false, jobs: true, web: true });
  });

  it("writes one env file per service with the union of its layers (sets, then overrides)", () => {
    const files = byType("EnvFile");
    assert.deepStrictEqual(files.map((f) => f.name).sort(), [
      "demo-api-env",
      "demo-jobs-env",
      "demo-web-env",
    ]);
    const api = files.find((f) => f.name === "demo-api-env")!.inputs;
    assert.deepStrictEqual(api.services, ["api"]);
    assert.deepStrictEqual(api.sets, ["core"]);
    assert.deepStrictEqual(api.keys, ["KEY", "MODE"]);
    assert.deepStrictEqual(api.plainKeys, ["MODE"]);
    assert.strictEqual(api.environment, "local");
    const jobs = files.find((f) => f.name === "demo-jobs-env")!.inputs;
    assert.deepStrictEqual(jobs.sets, []);
    assert.deepStrictEqual(jobs.keys, ["QUEUE"]);
  });

  it("creates the generated secrets once, named after every { generated } reference", () => {
    const secrets = byType("Secrets");
    assert.strictEqual(secrets.length, 1);
    assert.deepStrictEqual(secrets[0].inputs.names, ["api-key"]);
  });
});
