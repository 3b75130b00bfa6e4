/**
 * The fleetgate provider plugin through the real Pulumi CLI against the Render double:
 * - `pulumi import` of a service made by hand (the plugin's `read` by id) and the package schema
 *   (`getSchema`) the CLI reads from the plugin;
 * - adoption by name of a 3-service prod fleet with hand-set env vars (no service created or
 *   deleted, same ids and URLs, no key lost), then `destroy` refused by the prod protection;
 * - upgrade of a stack written by the dynamic providers (the last version before the plugin,
 *   unpacked from git) with scripts/migrate-render-state.ts: no replace, same services, no key lost.
 * Each block asserts the double's stored services and env vars, not only the program's outputs.
 */
import * as assert from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { engineEnv, readStateFile, REPO_ROOT, runAsync, runPulumiAsync, tempDir } from "../support/engine";
import { LocalWorkspace, ProjectSettings } from "@pulumi/pulumi/automation";
import { Provider } from "../../provider/sdk/provider";
import { Service } from "../../provider/sdk/service";
import { RenderDouble } from "../support/render-double";

const KEY = "rnd_plugin_engine_key";
/** The last commit whose Render resources were dynamic providers (the upgrade's starting point). */
const DYNAMIC_PROVIDER_COMMIT = "2b8ea9717b03dc5f5a1bbf159b6c1f5c9a5fa397";

interface StackHandle {
  name: string;
  file: string;
  run: (args: string[], cwd?: string) => Promise<{ code: number; output: string }>;
  ok: (args: string[], cwd?: string) => Promise<string>;
  writeConfig: (config: Record<string, unknown>, dir?: string) => void;
  state: () => { type: string; urn: string; id?: string; inputs?: Record<string, unknown> }[];
}

describe("fleetgate provider plugin through the engine", function () {
  this.timeout(900_000);
  let render: RenderDouble;
  let dir: string;
  let env: Record<string, string>;
  const stacks: StackHandle[] = [];

  function stack(label: string): StackHandle {
    const name = `test-plugin-${label}-${process.pid}-${Date.now().toString(36)}`;
    const file = path.join(REPO_ROOT, `Pulumi.${name}.yaml`);
    const run = (args: string[], cwd = REPO_ROOT) => runPulumiAsync([...args, "--stack", name], { cwd, env });
    const h: StackHandle = {
      name,
      file,
      run,
      ok: async (args, cwd) => {
        const r = await run(args, cwd);
        assert.strictEqual(r.code, 0, `pulumi ${args.join(" ")} failed:\n${r.output}`);
        return r.output;
      },
      writeConfig: (config, at = REPO_ROOT) => {
        const f = path.join(at, `Pulumi.${name}.yaml`);
        const doc = fs.existsSync(f) ? (YAML.parse(fs.readFileSync(f, "utf8")) ?? {}) : {};
        doc.config = { ...doc.config, ...config };
        fs.writeFileSync(f, YAML.stringify(doc));
      },
      state: () => JSON.parse(readStateFile(dir, "fleetgate", name)).checkpoint.latest.resources,
    };
    stacks.push(h);
    return h;
  }

  const platform = (extra: Record<string, unknown> = {}) => ({
    "fleetgate:platform": { kind: "render", baseUrl: render.url, ownerId: "tea-plugintest", ...extra },
  });

  before(async () => {
    render = await RenderDouble.start({ apiKey: KEY, deployPhaseMs: 10 });
    dir = tempDir("plugin-engine");
    env = engineEnv(dir);
    delete env.RENDER_API_KEY;
  });

  after(async () => {
    for (const s of stacks) {
      await s.run(["stack", "rm", "--force", "--yes"]);
      fs.rmSync(s.file, { force: true });
    }
    await render.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("imports a service made by hand with `pulumi import` (read by id); the plugin serves its schema", async () => {
    const s = stack("import");
    const made = render.createServiceByHand({
      type: "web_service",
      name: "pi-handmade",
      ownerId: "tea-plugintest",
      image: { imagePath: "ghcr.io/acme/api:2.0.0" },
      serviceDetails: {
        healthCheckPath: "/healthz",
        region: "frankfurt",
        envSpecificDetails: { dockerCommand: "node server.js", preDeployCommand: "npm run migrate" },
      },
    });
    await s.ok(["stack", "init"]);
    s.writeConfig(platform());
    await s.ok(["config", "set", "--secret", "fleetgate:renderApiKey", KEY]);
    const writesBefore = render.requests.filter((r) => r.method !== "GET").length;
    // Code generation needs the language host's GenerateProgram, which this engine's host lacks.
    const out = await s.ok([
      "import",
      "fleetgate:render:Service",
      "handmade",
      made.id,
      "--yes",
      "--generate-code=false",
    ]);
    assert.match(out, /= 1 imported/);
    const imported = s.state().find((r) => r.type === "fleetgate:render:Service")!;
    assert.strictEqual(imported.id, made.id);
    assert.strictEqual(imported.inputs!.name, "pi-handmade");
    assert.strictEqual(imported.inputs!.serviceType, "web");
    assert.strictEqual(imported.inputs!.region, "frankfurt");
    assert.strictEqual(imported.inputs!.healthCheckPath, "/healthz");
    assert.strictEqual(imported.inputs!.dockerCommand, "node server.js");
    assert.strictEqual(imported.inputs!.preDeployCommand, "npm run migrate", "read from envSpecificDetails");
    assert.strictEqual(imported.inputs!.baseUrl, render.url);
    assert.strictEqual(render.requests.filter((r) => r.method !== "GET").length, writesBefore, "no write");
    assert.ok(!readStateFile(dir, "fleetgate", s.name).includes(KEY), "the API key is not in the state");
    // Refresh reads it again and finds nothing to change.
    const refresh = await s.ok(["refresh", "--yes", "--diff"]);
    assert.doesNotMatch(refresh, /~ fleetgate:render:Service/);

    const got = await runPulumiAsync(["package", "get-schema", "./provider/pulumi-resource-fleetgate"], {
      cwd: REPO_ROOT,
      env,
    });
    assert.strictEqual(got.code, 0, got.output);
    const schema = JSON.parse(got.output);
    assert.strictEqual(schema.name, "fleetgate");
    assert.deepStrictEqual(Object.keys(schema.resources).sort(), [
      "fleetgate:render:Deploy",
      "fleetgate:render:EnvVars",
      "fleetgate:render:RegistryCredential",
      "fleetgate:render:Scale",
      "fleetgate:render:Service",
    ]);
    assert.strictEqual(schema.config.variables.renderApiKey.secret, true);
  });

  it("takes the API key as a secret input of an explicit provider (no stack config, no RENDER_API_KEY)", async () => {
    const workDir = tempDir("explicit-provider");
    const program = async () => {
      const p = new Provider("render-key", { renderApiKey: KEY });
      const svc = new Service(
        "explicit",
        {
          name: "pe-explicit",
          serviceType: "worker",
          image: "ghcr.io/acme/api:1.0.0",
          region: "oregon",
          instances: 1,
          ownerId: "tea-plugintest",
          baseUrl: render.url,
        },
        { provider: p },
      );
      return { id: svc.id };
    };
    const projectSettings = {
      name: "explicitprovider",
      runtime: "nodejs",
      plugins: { providers: [{ name: "fleetgate", path: path.join(REPO_ROOT, "provider") }] },
    } as unknown as ProjectSettings;
    const savedKey = process.env.RENDER_API_KEY;
    delete process.env.RENDER_API_KEY; // the CLI inherits this process's environment
    const stack = await LocalWorkspace.createOrSelectStack(
      { stackName: "explicit", projectName: "explicitprovider", program },
      { workDir, projectSettings, envVars: env },
    );
    try {
      const up = await stack.up();
      assert.strictEqual(up.summary.result, "succeeded");
      assert.strictEqual(render.serviceByName("pe-explicit")!.id, up.outputs.id.value);
      // The checkpoint on disk (an Automation API export would show secrets).
      const state = readStateFile(dir, "explicitprovider", "explicit");
      assert.ok(state.includes('"pulumi:providers:fleetgate"'));
      assert.ok(!state.includes(KEY), "the API key is not in the state in plain text");
      await stack.destroy();
      assert.strictEqual(render.serviceByName("pe-explicit"), undefined);
    } finally {
      if (savedKey !== undefined) process.env.RENDER_API_KEY = savedKey;
      await stack.workspace.removeStack("explicit", { force: true }).catch(() => undefined);
      fs.rmSync(workDir, { recursive: true, force: true });
    }
  });

  describe("adoption of an existing prod fleet, then destroy under protection", () => {
    let s: StackHandle;
    const names = ["pa-web", "pa-private", "pa-worker"];
    const ids: Record<string, string> = {};
    let webUrl: string | undefined;
    /** Service deletes the double saw before this block (other blocks share the double). */
    let deletesBefore = 0;
    const serviceDeletes = () => render.count("DELETE", /^\/services\/[^/]+$/) - deletesBefore;

    before(async () => {
      s = stack("adopt");
      const types = ["web_service", "private_service", "background_worker"];
      names.forEach((name, i) => {
        const svc = render.createServiceByHand({
          type: types[i],
          name,
          ownerId: "tea-plugintest",
          image: { imagePath: "ghcr.io/acme/api:1.0.0" },
          serviceDetails: i === 0 ? { healthCheckPath: "/health" } : {},
        });
        ids[name] = svc.id;
        render.setEnvVar(svc.id, "SET_BY_HAND", `hand-${i}`);
        render.setEnvVar(svc.id, "LOG_LEVEL", "debug");
      });
      webUrl = render.serviceByName("pa-web")!.serviceDetails.url;
      deletesBefore = render.count("DELETE", /^\/services\/[^/]+$/);
      await s.ok(["stack", "init"]);
      s.writeConfig({
        ...platform({ adopt: true }),
        "fleetgate:fleet": {
          name: "pa",
          environment: "prod",
          services: names.map((name, i) => ({
            name,
            type: ["web", "private", "worker"][i],
            image: "ghcr.io/acme/api:1.1.0",
            ...(i === 0 ? { healthCheckPath: "/health" } : {}),
          })),
          envSets: [{ name: "base", services: names, vars: { LOG_LEVEL: "info", REGION: "eu" } }],
        },
      });
      await s.ok(["config", "set", "--secret", "fleetgate:renderApiKey", KEY]);
    });

    it("adopts the 3 services by name: none created or deleted, same ids and URL, no key lost", async () => {
      const created = render.count("POST", "/services");
      await s.ok(["up", "--yes", "--skip-preview"]);
      assert.strictEqual(render.count("POST", "/services"), created, "no service was created");
      assert.strictEqual(serviceDeletes(), 0, "no service was deleted");
      for (const [i, name] of names.entries()) {
        const svc = render.serviceByName(name)!;
        assert.strictEqual(svc.id, ids[name], `${name} kept its id`);
        assert.deepStrictEqual(render.envOf(svc.id), {
          SET_BY_HAND: `hand-${i}`,
          LOG_LEVEL: "info",
          REGION: "eu",
        });
        assert.strictEqual(
          render.liveDeployOf(svc.id)?.image,
          "ghcr.io/acme/api:1.1.0",
          `${name} runs the image`,
        );
      }
      assert.strictEqual(render.serviceByName("pa-web")!.serviceDetails.url, webUrl, "URL unchanged");
      const services = s.state().filter((r) => r.type === "fleetgate:render:Service");
      assert.deepStrictEqual(services.map((r) => r.id).sort(), Object.values(ids).sort());
      // A second up finds nothing to do.
      await s.ok(["preview", "--expect-no-changes"]);
    });

    it("a rename listed in previousNames keeps the same Render service (PATCH of the name, no replace)", async () => {
      const doc = YAML.parse(fs.readFileSync(s.file, "utf8"));
      const fleet = doc.config["fleetgate:fleet"];
      fleet.services[2] = { ...fleet.services[2], name: "pa-jobs", previousNames: ["pa-worker"] };
      fleet.envSets[0].services = ["pa-web", "pa-private", "pa-jobs"];
      s.writeConfig({ "fleetgate:fleet": fleet });
      const created = render.count("POST", "/services");
      const preview = await s.ok(["preview", "--diff"]);
      assert.doesNotMatch(preview, /replace|delete/, preview);
      await s.ok(["up", "--yes", "--skip-preview"]);
      const renamed = render.services.get(ids["pa-worker"])!;
      assert.strictEqual(renamed.name, "pa-jobs", "the same service, renamed");
      assert.strictEqual(render.count("POST", "/services"), created, "no service created");
      assert.deepStrictEqual(render.envOf(renamed.id), {
        SET_BY_HAND: "hand-2",
        LOG_LEVEL: "info",
        REGION: "eu",
      });
      names[2] = "pa-jobs";
    });

    it("destroy is refused on prod (protect by default): services and env vars stay", async () => {
      const r = await s.run(["destroy", "--yes", "--skip-preview"]);
      assert.notStrictEqual(r.code, 0, "destroy of a protected prod fleet must fail");
      assert.match(r.output, /protected/);
      for (const [i, name] of names.entries()) {
        const svc = render.serviceByName(name);
        assert.ok(svc, `${name} still exists`);
        assert.deepStrictEqual(render.envOf(svc.id), {
          SET_BY_HAND: `hand-${i}`,
          LOG_LEVEL: "info",
          REGION: "eu",
        });
      }
      assert.strictEqual(serviceDeletes(), 0, "no service was deleted");
    });
  });

  describe("upgrade from a state written by the dynamic providers", () => {
    let s: StackHandle;
    let oldDir: string;
    const names = ["pm-web", "pm-worker"];

    const fleet = {
      name: "pm",
      environment: "test",
      services: [
        { name: "pm-web", type: "web", image: "ghcr.io/acme/api:1.0.0", healthCheckPath: "/health" },
        { name: "pm-worker", type: "worker", image: "ghcr.io/acme/api:1.0.0", env: { ONLY_WORKER: "w" } },
      ],
      envSets: [{ name: "base", services: names, vars: { LOG_LEVEL: "info" } }],
    };

    before(async () => {
      s = stack("migrate");
      // The previous version of the project, with this checkout's node_modules.
      oldDir = tempDir("dynamic-version");
      execFileSync("bash", ["-c", `git archive ${DYNAMIC_PROVIDER_COMMIT} | tar -x -C "${oldDir}"`], {
        cwd: REPO_ROOT,
      });
      fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(oldDir, "node_modules"));
    });

    after(() => fs.rmSync(oldDir, { recursive: true, force: true }));

    it("an up of the dynamic-provider version writes pulumi-nodejs:dynamic/render:* resources", async () => {
      await s.ok(["stack", "init"], oldDir);
      s.writeConfig({ ...platform(), "fleetgate:fleet": fleet }, oldDir);
      await s.ok(["config", "set", "--secret", "fleetgate:renderApiKey", KEY], oldDir);
      await s.ok(["up", "--yes", "--skip-preview"], oldDir);
      const types = s.state().map((r) => r.type);
      assert.ok(types.includes("pulumi-nodejs:dynamic/render:Service"));
      assert.ok(types.includes("pulumi-nodejs:dynamic/render:EnvVarSet"));
    });

    it("the migration script and the next up converge with no replace, no new service and no key lost", async () => {
      const ids = names.map((n) => render.serviceByName(n)!.id);
      render.setEnvVar(ids[1], "SET_BY_HAND", "kept");
      fs.copyFileSync(path.join(oldDir, `Pulumi.${s.name}.yaml`), s.file);
      const migrate = await runAsync(
        "npx",
        ["ts-node", "--transpile-only", "scripts/migrate-render-state.ts", "--stack", s.name],
        { cwd: REPO_ROOT, env },
      );
      assert.strictEqual(migrate.code, 0, migrate.output);
      assert.match(migrate.output, /retype .*dynamic\/render:Service/);
      assert.match(migrate.output, /forget .*EnvVarSet/);
      const preview = await s.ok(["preview", "--diff"]);
      assert.doesNotMatch(preview, /replace/, preview);
      const created = render.count("POST", "/services");
      await s.ok(["up", "--yes", "--skip-preview"]);
      assert.strictEqual(render.count("POST", "/services"), created, "no service created");
      assert.deepStrictEqual(
        names.map((n) => render.serviceByName(n)!.id),
        ids,
        "same services",
      );
      assert.deepStrictEqual(render.envOf(ids[0]), { LOG_LEVEL: "info" });
      assert.deepStrictEqual(render.envOf(ids[1]), {
        LOG_LEVEL: "info",
        ONLY_WORKER: "w",
        SET_BY_HAND: "kept",
      });
      const types = new Set(s.state().map((r) => r.type));
      assert.ok(
        ![...types].some((t) => t.startsWith("pulumi-nodejs:dynamic/render:")),
        [...types].join(", "),
      );
      await s.ok(["preview", "--expect-no-changes"]);
    });
  });
});
