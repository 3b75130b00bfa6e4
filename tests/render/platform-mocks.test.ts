/**
 * The render platform component under `pulumi.runtime.setMocks` (no engine): one complete env map
 * per service (set vars, then service overrides), the plugin's resource types and inputs, child
 * names derived from the component's name with aliases to the earlier names, deletion policy on
 * prod, and what the platform hands the gates (urls, rollback targets).
 */
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { parseStackConfig } from "../../config/load";
import { SecretRef } from "../../config/primitives";
import { SecretResolver } from "../../components/secrets";
import { RENDER_DEPLOY, RENDER_ENV_VARS, RENDER_SERVICE } from "../../provider/resourceTypes";

interface Registered {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
  aliases: unknown[];
  protect?: boolean;
  retainOnDelete?: boolean;
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
          const custom = args.custom as unknown as Record<string, unknown> | undefined;
          void custom;
          registered.push({
            type: args.type,
            name: args.name,
            inputs: args.inputs,
            aliases: (args as unknown as { aliases?: unknown[] }).aliases ?? [],
          });
          const state: Record<string, unknown> = { ...args.inputs };
          if (args.type === RENDER_SERVICE) {
            state.url =
              args.inputs.serviceType === "web" ? `https://${args.inputs.name}.onrender.com` : undefined;
            return { id: `srv-${args.inputs.name}`, state };
          }
          if (args.type === RENDER_ENV_VARS) {
            state.version = `v1-${args.inputs.serviceName}`;
            state.foreignKeys = [];
          }
          if (args.type === RENDER_DEPLOY) {
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

  it("builds services, one env map per service and deploys with the plugin's types and inputs", async () => {
    const { RenderPlatform } = await import("../../components/render");
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
    assert.deepStrictEqual(await value(platform.result.envSets["service:admin"].foreignKeys), { admin: [] });
    assert.strictEqual(api.ready.length, 3);

    // Wait until every registration reached the mocks.
    await value(platform.urn);
    await new Promise((r) => setTimeout(r, 200));
    const byType = (t: string) => registered.filter((r) => r.type === t);
    const services = byType(RENDER_SERVICE);
    // Children are named after the component; aliases carry the names earlier versions used.
    assert.deepStrictEqual(services.map((s) => s.name).sort(), [
      "render-admin",
      "render-api",
      "render-worker",
    ]);
    const apiSvc = services.find((s) => s.name === "render-api")!.inputs;
    assert.strictEqual(apiSvc.serviceType, "web");
    assert.strictEqual(apiSvc.image, "ghcr.io/a/api:1.2.3");
    assert.strictEqual(apiSvc.healthCheckPath, "/health");
    assert.strictEqual(apiSvc.region, "oregon");
    assert.strictEqual(apiSvc.requestsPerSecond, undefined, "no fixed rate: Render's quotas pace calls");
    assert.strictEqual(apiSvc.adopt, false);
    assert.ok(!("apiKey" in apiSvc), "no API key among the inputs");

    // One env map per service: the set's vars, then the service's overrides; each value secret.
    const env = (svc: string) => byType(RENDER_ENV_VARS).find((r) => r.inputs.serviceName === svc)!.inputs;
    assert.deepStrictEqual(
      byType(RENDER_ENV_VARS)
        .map((r) => r.name)
        .sort(),
      ["render-admin-env", "render-api-env", "render-worker-env"],
    );
    const SECRET_SIG = "4dabf18193072939515e22adb298388d";
    const SECRET = "1b47061264138c4ac30d75fd1eb44270";
    // The values reach the engine as secrets (the map as one secret, or each value).
    const reveal = (vars: unknown): Record<string, unknown> => {
      const o = vars as Record<string, unknown>;
      if (o[SECRET_SIG] === SECRET) return o.value as Record<string, unknown>;
      return Object.fromEntries(
        Object.entries(o as Record<string, Record<string, unknown>>).map(([k, v]) => {
          assert.strictEqual(v[SECRET_SIG], SECRET, `${k} must be a secret`);
          return [k, v.value];
        }),
      );
    };
    assert.deepStrictEqual(reveal(env("api").vars), {
      LOG_LEVEL: "debug",
      DATABASE_URL: "resolved-databaseUrl",
    });
    assert.deepStrictEqual(reveal(env("worker").vars), {
      LOG_LEVEL: "info",
      DATABASE_URL: "resolved-databaseUrl",
    });
    assert.deepStrictEqual(reveal(env("admin").vars), { PORT: "9000" });
    assert.strictEqual(env("api").serviceId, "srv-api");
    assert.strictEqual(env("api").environment, "dev");
    assert.deepStrictEqual(env("api").plainKeys, ["LOG_LEVEL"]);
    assert.deepStrictEqual(env("admin").plainKeys, ["PORT"]);

    const deploys = byType(RENDER_DEPLOY);
    assert.deepStrictEqual(deploys.map((d) => d.name).sort(), [
      "render-admin-deploy",
      "render-api-deploy",
      "render-worker-deploy",
    ]);
    const apiDeploy = deploys.find((d) => d.name === "render-api-deploy")!.inputs;
    assert.strictEqual(apiDeploy.image, "ghcr.io/a/api:1.2.3");
    assert.strictEqual(apiDeploy.envVersion, "v1-api");
    assert.deepStrictEqual(apiDeploy.runSettings, {
      dockerCommand: "",
      preDeployCommand: "",
      plan: "",
      healthCheckPath: "/health",
    });
  });

  it("declares registry credentials (token secret) and gives their id to the services that name them", async () => {
    const { RenderPlatform } = await import("../../components/render");
    const raw = (credential: string) => ({
      platform: {
        kind: "render",
        ownerId: "tea-abc",
        baseUrl: "http://127.0.0.1:1/v1",
        registryCredentials: [
          { name: "ghcr", registry: "GITHUB", username: "bot", authToken: { secret: "ghcrToken" } },
        ],
      },
      fleet: {
        name: "priv",
        environment: "dev",
        services: [
          {
            name: "private-api",
            type: "worker",
            image: "ghcr.io/a/private:1.0.0",
            registryCredential: credential,
          },
        ],
      },
    });
    assert.throws(
      () => parseStackConfig(raw("quay"), { secretKeys: new Set(["ghcrToken"]) }),
      /no registry credential "quay" in platform\.registryCredentials/,
    );
    const config = parseStackConfig(raw("ghcr"), { secretKeys: new Set(["ghcrToken"]) });
    const secrets: SecretResolver = {
      resolve: () => pulumi.secret("ghp_token"),
      value: (v) => (typeof v === "string" ? pulumi.output(v) : pulumi.secret("x")),
    };
    const platform = new RenderPlatform("render", { config, secrets });
    await value(platform.urn);
    await new Promise((r) => setTimeout(r, 200));
    const cred = registered.find((r) => r.type === "fleetgate:render:RegistryCredential")!;
    assert.strictEqual(cred.name, "render-registry-ghcr");
    assert.strictEqual(
      (cred.inputs.authToken as Record<string, unknown>)["4dabf18193072939515e22adb298388d"],
      "1b47061264138c4ac30d75fd1eb44270",
      "the token is registered as a secret",
    );
    const svc = registered.find((r) => r.type === RENDER_SERVICE && r.inputs.name === "private-api")!;
    assert.strictEqual(svc.inputs.registryCredentialId, "render-registry-ghcr-id");
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
