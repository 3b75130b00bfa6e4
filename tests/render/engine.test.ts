/**
 * The render platform through the real Pulumi engine and the fleetgate provider plugin: this
 * project (`index.ts`) runs as a `test-render-*` stack against the Render double. One stack goes
 * through preview, up, a config change, a failing service and its convergence, refresh drift, a
 * cosmetic `baseUrl` change, a persistent disk (added, grown, a shrink refused) and destroy, then a
 * `deletionPolicy: retain` stack's destroy; after each step the double's state is checked, and a
 * canary secret must never appear in the engine's output or in the plaintext of the state file.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { engineEnv, readStateFile, REPO_ROOT, runPulumiAsync, tempDir } from "../support/engine";
import { RenderDouble } from "../support/render-double";

const KEY = "rnd_engine_test_key";
const CANARY = "canary-engine-0d5e1f-secret";
const CANARY_2 = "canary-engine-second-77aa";

describe("render platform through the engine", function () {
  this.timeout(600_000);
  // Each step builds on the stack the previous one left.
  this.bail(true);
  const stack = `test-render-${process.pid}-${Date.now().toString(36)}`;
  const stackFile = path.join(REPO_ROOT, `Pulumi.${stack}.yaml`);
  let dir: string;
  let env: Record<string, string>;
  let render: RenderDouble;
  let savedKey: string | undefined;
  const outputs: string[] = [];
  const names = ["gw", "engine", "email", "scheduler"].map((n) => `rt-${n}`);

  // The double lives in this process: the CLI must run without blocking the event loop.
  const pulumi = async (...args: string[]) => {
    const r = await runPulumiAsync([...args, "--stack", stack], { cwd: REPO_ROOT, env });
    outputs.push(r.output);
    return r;
  };
  const ok = async (...args: string[]) => {
    const r = await pulumi(...args);
    assert.strictEqual(r.code, 0, `pulumi ${args.join(" ")} failed:\n${r.output}`);
    return r.output;
  };

  function fleet(
    vars: Record<string, unknown>,
    gwEnv: Record<string, unknown> = {},
    engineDisk?: { mountPath: string; sizeGB: number },
  ) {
    return {
      name: "rt",
      environment: "test",
      services: names.map((name, i) => ({
        name,
        type: i === 0 ? "web" : "worker",
        image: "ghcr.io/acme/api:1.0.0",
        ...(i === 0 ? { healthCheckPath: "/health", env: gwEnv } : {}),
        ...(i === 1 && engineDisk ? { disk: engineDisk, stateful: true } : {}),
      })),
      envSets: [{ name: "backend", services: names, vars }],
    };
  }

  function writeConfig(fleetConfig: object, baseUrl = render.url, platform: object = {}) {
    const doc = YAML.parse(fs.readFileSync(stackFile, "utf8")) ?? {};
    doc.config = {
      ...doc.config,
      "fleetgate:platform": {
        kind: "render",
        baseUrl,
        ownerId: "tea-enginetest",
        ...platform,
      },
      "fleetgate:fleet": fleetConfig,
    };
    fs.writeFileSync(stackFile, YAML.stringify(doc));
  }

  const id = (name: string) => render.serviceByName(name)!.id;
  /** The stack's outputs, read from the state file (quicker than `pulumi stack output`). */
  const stackOutputs = () => {
    const state = JSON.parse(readStateFile(dir, "fleetgate", stack));
    const root = state.checkpoint.latest.resources.find(
      (r: { type: string }) => r.type === "pulumi:pulumi:Stack",
    );
    return root.outputs;
  };

  before(async () => {
    render = await RenderDouble.start({ apiKey: KEY, deployPhaseMs: 20 });
    dir = tempDir("render-engine");
    // Transpile only: faster, and a type error elsewhere in the tree does not stop this test.
    env = engineEnv(dir, { PULUMI_NODEJS_TRANSPILE_ONLY: "true" });
    // The API key reaches the providers through the stack's secret config, not the environment.
    delete env.RENDER_API_KEY;
    savedKey = process.env.RENDER_API_KEY;
    delete process.env.RENDER_API_KEY;
    await ok("stack", "init");
    await ok("config", "set", "--secret", "fleetgate:renderApiKey", KEY);
    await ok("config", "set", "--secret", "fleetgate:canarySecret", CANARY);
  });

  after(async () => {
    if (savedKey !== undefined) process.env.RENDER_API_KEY = savedKey;
    await render.close();
    fs.rmSync(stackFile, { force: true });
    fs.rmSync(dir, { recursive: true, force: true });
  });

  afterEach(function () {
    // Whatever happened, the canary never reaches the engine's output or the state's plaintext.
    for (const out of outputs) {
      assert.ok(!out.includes(CANARY) && !out.includes(CANARY_2), `a canary value was printed:\n${out}`);
    }
    const state = readStateFile(dir, "fleetgate", stack);
    assert.ok(!state.includes(CANARY) && !state.includes(CANARY_2), "a canary value is in the state file");
    assert.ok(!state.includes(KEY), "the API key is in the state file");
    if (this.currentTest?.state === "failed") console.log(outputs.slice(-2).join("\n----\n"));
  });

  it("deploys the fleet: services, complete sets, live deploys", async () => {
    writeConfig(
      fleet({ NODE_ENV: "production", LOG_LEVEL: "info", CANARY_SECRET: { secret: "canarySecret" } }),
    );
    await ok("up", "--yes", "--skip-preview");
    for (const n of names) {
      assert.deepStrictEqual(render.envOf(id(n)), {
        NODE_ENV: "production",
        LOG_LEVEL: "info",
        CANARY_SECRET: CANARY,
      });
      const [latest] = render.deploysOf(id(n));
      assert.strictEqual(latest.status, "live", `deploy of ${n}`);
      assert.strictEqual(latest.trigger, "api");
    }
    assert.deepStrictEqual(stackOutputs().serviceUrls, { "rt-gw": "https://rt-gw.onrender.com" });
  });

  it("keeps a key set by hand, removes a key dropped from config everywhere, diffs without values", async () => {
    render.setEnvVar(id(names[1]), "SET_BY_HAND", "hand-made");
    await ok("config", "set", "--secret", "fleetgate:canarySecret", CANARY_2);
    writeConfig(
      fleet({ NODE_ENV: "production", CANARY_SECRET: { secret: "canarySecret" } }, { PORT: "8080" }),
    );
    // The diff names each service's env vars and the changed keys, never a value.
    const preview = await ok("preview", "--diff");
    assert.match(preview, /~ fleetgate:render:EnvVars: \(update\)/);
    assert.match(preview, /LOG_LEVEL/);
    assert.match(preview, /CANARY_SECRET/);
    // NODE_ENV's value is plain in the config, yet the diff never shows an env value.
    assert.ok(!preview.includes("production"), "an env value was printed by preview --diff");
    const deploysBefore = render.deploysOf(id(names[2])).length;
    await ok("up", "--yes", "--skip-preview");
    for (const n of names) {
      const expected: Record<string, string> = { NODE_ENV: "production", CANARY_SECRET: CANARY_2 };
      if (n === names[0]) expected.PORT = "8080";
      if (n === names[1]) expected.SET_BY_HAND = "hand-made";
      assert.deepStrictEqual(render.envOf(id(n)), expected, `set of ${n}`);
    }
    assert.strictEqual(render.deploysOf(id(names[2])).length, deploysBefore + 1, "an env change redeploys");
    assert.deepStrictEqual(stackOutputs().foreignKeys.backend[names[1]], ["SET_BY_HAND"]);
  });

  it("a 500 on the third of four services fails naming it; the others are complete; re-running converges", async () => {
    const third = names[2];
    render.addFault({ method: "PUT", path: `/services/${id(third)}/env-vars`, status: 500, times: Infinity });
    writeConfig(fleet({ NODE_ENV: "staging", CANARY_SECRET: { secret: "canarySecret" } }, { PORT: "8080" }));
    const failed = await pulumi("up", "--yes", "--skip-preview");
    assert.notStrictEqual(failed.code, 0);
    assert.match(
      failed.output,
      new RegExp(`service "${third}" \\(${id(third)}\\): Render API PUT \\S+ answered 500`),
    );
    for (const n of names.filter((x) => x !== third))
      assert.strictEqual(render.envOf(id(n)).NODE_ENV, "staging", n);
    assert.strictEqual(render.envOf(id(third)).NODE_ENV, "production");
    render.clearFaults();
    await ok("up", "--yes", "--skip-preview");
    for (const n of names) assert.strictEqual(render.envOf(id(n)).NODE_ENV, "staging", n);
    assert.strictEqual(render.envOf(id(names[1])).SET_BY_HAND, "hand-made");
  });

  it("refresh reports drift and the next up restores the declared value", async () => {
    render.setEnvVar(id(names[3]), "NODE_ENV", "changed-by-hand");
    render.patchServiceByHand(id(names[0]), { serviceDetails: { healthCheckPath: "/changed" } });
    const refresh = await ok("refresh", "--yes", "--diff");
    assert.match(refresh, /fleetgate:render:Service/);
    assert.match(refresh, /healthCheckPath/);
    await ok("up", "--yes", "--skip-preview");
    assert.strictEqual(render.envOf(id(names[3])).NODE_ENV, "staging");
    assert.strictEqual(render.serviceByName(names[0])!.serviceDetails.healthCheckPath, "/health");
    // Converged: nothing left to change (no perpetual diff from normalized images or outputs).
    await ok("preview", "--expect-no-changes");
  });

  it("a cosmetic baseUrl change (trailing /) replaces nothing and changes nothing on Render", async () => {
    const ids = names.map(id);
    const requestsBefore = render.requests.length;
    // The config schema takes lower-case schemes; case of the host is covered by service-provider.test.ts.
    const cosmetic = `${render.url}/`;
    writeConfig(
      fleet({ NODE_ENV: "staging", CANARY_SECRET: { secret: "canarySecret" } }, { PORT: "8080" }),
      cosmetic,
    );
    const preview = await ok("preview", "--diff");
    assert.doesNotMatch(preview, /replace/, preview);
    await ok("up", "--yes", "--skip-preview");
    assert.deepStrictEqual(names.map(id), ids, "same services");
    const writes = render.requests.slice(requestsBefore).filter((r) => r.method !== "GET");
    assert.deepStrictEqual(writes, [], "no write to Render");
  });

  it("a disk: added with a deploy, grown in place without one, a shrink refused with nothing applied", async () => {
    const vars = { NODE_ENV: "staging", CANARY_SECRET: { secret: "canarySecret" } };
    const gw = { PORT: "8080" };
    const engine = id(names[1]);
    const deploys = () => render.deploysOf(engine).length;
    const before = deploys();
    writeConfig(fleet(vars, gw, { mountPath: "/var/lib/engine", sizeGB: 5 }));
    await ok("up", "--yes", "--skip-preview");
    const disk = render.diskOf(engine);
    assert.ok(disk, "the service has a disk on Render");
    assert.deepStrictEqual(
      { name: disk.name, mountPath: disk.mountPath, sizeGB: disk.sizeGB },
      { name: "rt-engine-data", mountPath: "/var/lib/engine", sizeGB: 5 },
    );
    assert.strictEqual(render.count("POST", "/disks"), 1);
    // Render attaches a new disk on the next deploy.
    assert.strictEqual(deploys(), before + 1, "adding the disk redeploys the service");
    assert.strictEqual(render.liveDeployOf(engine)?.status, "live");

    writeConfig(fleet(vars, gw, { mountPath: "/var/lib/engine", sizeGB: 12 }));
    const preview = await ok("preview", "--diff");
    assert.match(preview, /sizeGB\s*:\s*5\s*=>\s*12/);
    await ok("up", "--yes", "--skip-preview");
    assert.strictEqual(render.count("PATCH", `/disks/${disk.id}`), 1);
    assert.strictEqual(render.diskOf(engine)!.sizeGB, 12);
    assert.strictEqual(render.diskOf(engine)!.id, disk.id, "same disk, grown in place");
    assert.strictEqual(deploys(), before + 1, "a resize needs no deploy");

    const writesBefore = render.requests.filter((r) => r.method !== "GET").length;
    writeConfig(fleet(vars, gw, { mountPath: "/var/lib/engine", sizeGB: 4 }));
    const refused = await pulumi("up", "--yes", "--skip-preview");
    assert.notStrictEqual(refused.code, 0, "a smaller disk must fail the up");
    assert.match(refused.output, /disk\.sizeGB cannot go from 12 GB down to 4 GB/);
    assert.strictEqual(render.diskOf(engine)!.sizeGB, 12);
    assert.strictEqual(
      render.requests.filter((r) => r.method !== "GET").length,
      writesBefore,
      "nothing written to Render",
    );
    writeConfig(fleet(vars, gw, { mountPath: "/var/lib/engine", sizeGB: 12 }));
    await ok("preview", "--expect-no-changes");
  });

  it("destroy deletes every service", async () => {
    await ok("destroy", "--yes", "--skip-preview");
    assert.deepStrictEqual(
      [...render.services.values()].filter((s) => s.ownerId === "tea-enginetest").map((s) => s.name),
      [],
    );
  });

  it("deletionPolicy retain: destroy leaves the service on Render and drops it from the state", async () => {
    const keep = "rt-retained";
    writeConfig(
      {
        name: "rt",
        environment: "test",
        services: [{ name: keep, type: "worker", image: "ghcr.io/acme/api:1.0.0" }],
        envSets: [],
      },
      render.url,
      { deletionPolicy: "retain" },
    );
    await ok("up", "--yes", "--skip-preview");
    const kept = id(keep);
    await ok("destroy", "--yes", "--skip-preview");
    assert.strictEqual(render.services.get(kept)?.name, keep, "the service is still on Render");
    assert.strictEqual(render.count("DELETE", `/services/${kept}`), 0);
    const state = JSON.parse(readStateFile(dir, "fleetgate", stack));
    const left = (state.checkpoint.latest?.resources ?? []).map((r: { type: string }) => r.type);
    assert.deepStrictEqual(left, [], "nothing left in the state");
  });
});
