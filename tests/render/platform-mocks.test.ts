/**
 * The render platform component under `pulumi.runtime.setMocks` (no engine): env layers (set vars,
 * then service overrides; a set of its own for a service in no set), the resource types and the
 * inputs the policy pack reads, and what the platform hands the gates (urls, rollback targets).
 */
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { parseStackConfig } from "../../config/load";
import { SecretRef } from "../../config/primitives";
import { SecretResolver } from "../../components/secrets";

interface Registered {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
}

const registered: Registered[] = [];

function value<T>(o: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => o.apply((v) => resolve(v)));
}

describe("render platform component (mocks)", function () {
  this.timeout(60_000);

  before(() => {
    pulumi.runtime.setMocks(
      {
        newResource: (args) => {
          registered.push({ type: args.type, name: args.name, inputs: args.inputs });
          const state: Record<string, unknown> = { ...args.inputs };
          if (args.type === "pulumi-nodejs:dynamic/render:Service") {
            state.url =
              args.inputs.serviceType === "web" ? `https://${args.inputs.name}.onrender.com` : undefined;
            return { id: `srv-${args.name}`, state };
          }
          if (args.type === "pulumi-nodejs:dynamic/render:EnvVarSet") {
            const services = args.inputs.services as string[];
            state.versions = Object.fromEntries(services.map((s) => [s, "v1"]));
            state.foreignKeys = Object.fromEntries(services.map((s) => [s, []]));
          }
          if (args.type === "pulumi-nodejs:dynamic/render:Deploy") {
            state.deployId = "dep-new";
            state.previousDeployId = "dep-old";
            state.status = "live";
          }
          return { id: `${args.name}-id`, state };
        },
        call: () => ({}),
      },
      "fleetgate",
      "test",
      false,
    );
  });

  it("builds services, layered env sets and deploys with the conventional types and inputs", async () => {
    const { RenderPlatform, planEnvSets } = await import("../../components/render");
    const config = parseStackConfig(
      {
        platform: { kind: "render", ownerId: "tea-abc", baseUrl: "http://127.0.0.1:1/v1" },
        fleet: {
          name: "demo",
          environment: "dev",
          services: [
            {
              name: "api",
              type: "web",
              image: "ghcr.io/a/api:1.2.3",
              healthCheckPath: "/health",
              env: { LOG_LEVEL: "debug" },
            },
            { name: "worker", type: "worker", image: "ghcr.io/a/api:1.2.3", wave: 1 },
            { name: "admin", type: "private", image: "ghcr.io/a/admin:2.0.0", env: { PORT: "9000" } },
          ],
          envSets: [
            {
              name: "backend",
              services: ["api", "worker"],
              vars: { LOG_LEVEL: "info", DATABASE_URL: { secret: "databaseUrl" } },
            },
          ],
        },
      },
      { secretKeys: new Set(["databaseUrl"]) },
    );
    const secretResolver: SecretResolver = {
      resolve: (ref: SecretRef) => pulumi.secret(`resolved-${"secret" in ref ? ref.secret : ref.generated}`),
      value: (v) => (typeof v === "string" ? pulumi.output(v) : secretResolver.resolve(v)),
    };

    const plans = planEnvSets(config.fleet.services, config.fleet.envSets);
    assert.deepStrictEqual(
      plans.map((p) => [p.setName, p.resourceName, p.services]),
      [
        ["backend", "env-backend", ["api", "worker"]],
        ["service:admin", "env-own-admin", ["admin"]],
      ],
    );
    assert.deepStrictEqual(plans[0].layers.api, {
      LOG_LEVEL: "debug",
      DATABASE_URL: { secret: "databaseUrl" },
    });
    assert.deepStrictEqual(plans[0].layers.worker, {
      LOG_LEVEL: "info",
      DATABASE_URL: { secret: "databaseUrl" },
    });

    const platform = new RenderPlatform("render", { config, secrets: secretResolver });
    const api = platform.result.services.api;
    const [apiUrl, workerUrl, rollback, foreign] = await Promise.all([
      value(api.url),
      value(platform.result.services.worker.url),
      value(api.rollback),
      value(platform.result.envSets.backend.foreignKeys),
    ]);
    assert.strictEqual(apiUrl, "https://api.onrender.com");
    assert.strictEqual(workerUrl, undefined);
    assert.deepStrictEqual(rollback, {
      platform: "render",
      baseUrl: "http://127.0.0.1:1/v1",
      serviceId: "srv-api",
      previousDeployId: "dep-old",
    });
    assert.deepStrictEqual(foreign, { api: [], worker: [] });
    assert.strictEqual(api.ready.length, 3);

    // Wait until every registration reached the mocks.
    await value(platform.urn);
    await new Promise((r) => setTimeout(r, 200));
    const byType = (t: string) => registered.filter((r) => r.type === `pulumi-nodejs:dynamic/render:${t}`);
    const services = byType("Service");
    assert.deepStrictEqual(services.map((s) => s.name).sort(), ["admin", "api", "worker"]);
    const apiSvc = services.find((s) => s.name === "api")!.inputs;
    assert.strictEqual(apiSvc.serviceType, "web");
    assert.strictEqual(apiSvc.public, true);
    assert.strictEqual(apiSvc.image, "ghcr.io/a/api:1.2.3");
    assert.strictEqual(apiSvc.healthCheckPath, "/health");
    assert.strictEqual(apiSvc.region, "oregon");
    assert.strictEqual(apiSvc.requestsPerSecond, 10);
    assert.ok(!("apiKey" in apiSvc), "no API key among the inputs");
    assert.strictEqual(services.find((s) => s.name === "admin")!.inputs.public, false);

    const backend = byType("EnvVarSet").find((r) => r.name === "env-backend")!.inputs;
    assert.strictEqual(backend.setName, "backend");
    assert.strictEqual(backend.environment, "dev");
    assert.deepStrictEqual(backend.keys, ["DATABASE_URL", "LOG_LEVEL"]);
    assert.deepStrictEqual(backend.plainKeys, ["LOG_LEVEL"]);
    assert.deepStrictEqual(backend.serviceIds, { api: "srv-api", worker: "srv-worker" });
    // The values reach the engine as one secret (the SDK's secret envelope).
    const SECRET_SIG = "4dabf18193072939515e22adb298388d";
    const secretValue = (v: unknown) => {
      const o = v as Record<string, unknown>;
      assert.strictEqual(
        o[SECRET_SIG],
        "1b47061264138c4ac30d75fd1eb44270",
        "values must be registered as a secret",
      );
      return o.value;
    };
    assert.deepStrictEqual(secretValue(backend.values), {
      api: { LOG_LEVEL: "debug", DATABASE_URL: "resolved-databaseUrl" },
      worker: { LOG_LEVEL: "info", DATABASE_URL: "resolved-databaseUrl" },
    });
    const own = byType("EnvVarSet").find((r) => r.name === "env-own-admin")!.inputs;
    assert.strictEqual(own.setName, "service:admin");
    assert.deepStrictEqual(secretValue(own.values), { admin: { PORT: "9000" } });

    const deploys = byType("Deploy");
    assert.deepStrictEqual(deploys.map((d) => d.name).sort(), [
      "admin-deploy",
      "api-deploy",
      "worker-deploy",
    ]);
    const apiDeploy = deploys.find((d) => d.name === "api-deploy")!.inputs;
    assert.strictEqual(apiDeploy.image, "ghcr.io/a/api:1.2.3");
    assert.strictEqual(apiDeploy.envVersion, "v1");
  });

  it("refuses a config for another platform, naming the field", async () => {
    const { RenderPlatform } = await import("../../components/render");
    const config = parseStackConfig(
      {
        platform: { kind: "local" },
        fleet: {
          name: "demo",
          environment: "dev",
          services: [
            {
              name: "api",
              type: "worker",
              image: "ghcr.io/a/api:1.2.3",
              local: { command: ["x"], port: 4000 },
            },
          ],
        },
      },
      { secretKeys: new Set() },
    );
    const secrets = { resolve: () => pulumi.output(""), value: () => pulumi.output("") };
    assert.throws(
      () => new RenderPlatform("r", { config, secrets }),
      /platform\.kind: the render platform needs kind "render"/,
    );
  });
});
