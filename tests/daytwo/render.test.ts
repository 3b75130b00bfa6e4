/**
 * The Render day-two matrix (issue 13) through the real Pulumi CLI: this project (`index.ts`, the
 * fleetgate plugin from `Pulumi.yaml`) runs as one `test-daytwo-*` stack against the Render
 * double, and each step is what a team does after the first `up`. After every step the double's
 * state is checked — env vars per service (zero declared keys lost), the live deploy and its
 * image — and the ledger's newest record.
 *
 * The smoke gate calls an HTTP fixture that answers like the service would: 500 while the live
 * image of `dt-api` is a `-bad` build. Whether the gates re-ran after a deploy is collected per
 * step and asserted in the last test, so a gate-trigger gap is reported without hiding the
 * platform checks of the later steps.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as http from "http";
import { AddressInfo } from "net";
import * as path from "path";
import * as YAML from "yaml";
import { readRecords } from "../../lib/ledger/file";
import type { DeployRecord } from "../../lib/ledger/record";
import { engineEnv, readStateFile, REPO_ROOT, runPulumiAsync, tempDir } from "../support/engine";
import { RenderDouble } from "../support/render-double";

const KEY = "rnd_daytwo_test_key";
const DB_1 = "canary-daytwo-db-1-4c7e";
const DB_2 = "canary-daytwo-db-2-91fa";
const IMAGE = (tag: string) => `ghcr.io/acme/api:${tag}`;

interface Step {
  sets: { name: string; services: string[]; vars: Record<string, unknown> }[];
  apiImage: string;
  workerCommand?: string;
  baseUrl?: string;
}

describe("Render day two through the engine", function () {
  this.timeout(900_000);
  // Each step builds on the stack the previous one left.
  this.bail(true);
  const stack = `test-daytwo-${process.pid}-${Date.now().toString(36)}`;
  const stackFile = path.join(REPO_ROOT, `Pulumi.${stack}.yaml`);
  const names = { api: "dt-api", worker: "dt-worker", jobs: "dt-jobs" };
  let dir: string;
  let env: Record<string, string>;
  let render: RenderDouble;
  let fixture: http.Server;
  let fixtureUrl: string;
  let healthHits = 0;
  let savedKey: string | undefined;
  const outputs: string[] = [];
  /** Per step: did the smoke gate run after the deploys it made? (asserted at the end) */
  const gateReruns: { step: string; ran: boolean }[] = [];
  /** Ledger expectations that belong to the gates (components/gates.ts): asserted at the end. */
  const ledgerGaps: string[] = [];
  const expectLedger = (cond: boolean, what: string) => {
    if (!cond) ledgerGaps.push(what);
  };
  /** The newest record names, for every service, the image that is live on Render. */
  const ledgerMatchesLive = (step: string) => {
    const rec = lastRecord();
    for (const n of Object.values(names)) {
      expectLedger(
        rec?.images?.[n] === liveImage(n),
        `${step}: record names ${rec?.images?.[n]} for ${n}, live is ${liveImage(n)}`,
      );
    }
  };
  /** Keys set by hand on Render (must survive every step). */
  const hand: Record<string, Record<string, string>> = {};
  let current: Step;

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
  const id = (name: string) => render.serviceByName(name)!.id;
  const ledgerFile = () => path.join(dir, "ledger.jsonl");
  const lastRecord = () => {
    const records = readRecords(ledgerFile()).records.filter((r) => r.kind === "deploy") as DeployRecord[];
    return records[records.length - 1];
  };
  const deploysOf = (name: string) => render.deploysOf(id(name));
  const liveImage = (name: string) => render.liveDeployOf(id(name))?.image;

  function writeConfig(step: Step) {
    current = step;
    const doc = YAML.parse(fs.readFileSync(stackFile, "utf8")) ?? {};
    doc.config = {
      ...doc.config,
      "fleetgate:platform": {
        kind: "render",
        baseUrl: step.baseUrl ?? render.url,
        ownerId: "tea-daytwo",
        apiKey: { secret: "teamRenderKey" },
        requestsPerSecond: 200,
      },
      "fleetgate:fleet": {
        name: "dt",
        environment: "test",
        services: [
          {
            name: names.api,
            type: "web",
            image: step.apiImage,
            healthCheckPath: "/health",
            url: fixtureUrl,
            env: { PORT: "8080" },
          },
          {
            name: names.worker,
            type: "worker",
            image: IMAGE("1.0.0"),
            ...(step.workerCommand ? { dockerCommand: step.workerCommand } : {}),
          },
          { name: names.jobs, type: "worker", image: IMAGE("1.0.0") },
        ],
        envSets: step.sets,
      },
      "fleetgate:gates": {
        smoke: {
          timeoutMs: 2000,
          retries: 0,
          rollbackOnFailure: true,
          checks: [
            { name: "api-health", kind: "http", target: names.api, path: "/health", expectStatus: 200 },
          ],
        },
        ledger: { path: ledgerFile() },
      },
    };
    fs.writeFileSync(stackFile, YAML.stringify(doc));
  }

  /** The declared map of each service under the current step (set vars, then service env). */
  function declared(): Record<string, Record<string, string>> {
    const secrets: Record<string, string> = { dbPassword: currentDb };
    const value = (v: unknown) =>
      typeof v === "string" ? v : (secrets[(v as { secret: string }).secret] ?? "?");
    const out: Record<string, Record<string, string>> = {};
    for (const n of Object.values(names)) {
      out[n] = {};
      for (const s of current.sets.filter((x) => x.services.includes(n))) {
        for (const [k, v] of Object.entries(s.vars)) out[n][k] = value(v);
      }
    }
    out[names.api].PORT = "8080";
    return out;
  }
  let currentDb = DB_1;

  /** Every declared key is on its service with its value; hand-set keys are still there; nothing else. */
  function assertEnvConverged(step: string) {
    const want = declared();
    for (const n of Object.values(names)) {
      assert.deepStrictEqual(render.envOf(id(n)), { ...want[n], ...(hand[n] ?? {}) }, `${step}: env of ${n}`);
    }
  }

  /** Runs an up and records whether the smoke gate hit the service afterwards. */
  async function upAndTrack(step: string, expectGate: boolean) {
    const hits = healthHits;
    const r = await pulumi("up", "--yes", "--skip-preview");
    if (expectGate) gateReruns.push({ step, ran: healthHits > hits });
    return r;
  }

  before(async () => {
    render = await RenderDouble.start({ apiKey: KEY, deployPhaseMs: 20 });
    fixture = http.createServer((req, res) => {
      healthHits++;
      const svc = render.serviceByName(names.api);
      const image = svc ? render.liveDeployOf(svc.id)?.image : undefined;
      const bad = !image || image.includes("-bad");
      res.writeHead(bad ? 500 : 200, { "content-type": "application/json" });
      res.end(JSON.stringify({ image: image ?? null }));
    });
    await new Promise<void>((resolve) => fixture.listen(0, "127.0.0.1", resolve));
    fixtureUrl = `http://127.0.0.1:${(fixture.address() as AddressInfo).port}`;
    dir = tempDir("daytwo-render");
    env = engineEnv(dir, { PULUMI_NODEJS_TRANSPILE_ONLY: "true" });
    delete env.RENDER_API_KEY;
    savedKey = process.env.RENDER_API_KEY;
    delete process.env.RENDER_API_KEY;
    await ok("stack", "init");
    // A custom secret name for the API key: providers and the gate's rollback must both use it.
    await ok("config", "set", "--secret", "fleetgate:teamRenderKey", KEY);
    await ok("config", "set", "--secret", "fleetgate:dbPassword", DB_1);
  });

  after(async () => {
    if (savedKey !== undefined) process.env.RENDER_API_KEY = savedKey;
    await render?.close();
    await new Promise((r) => fixture?.close(r));
    fs.rmSync(stackFile, { force: true });
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  afterEach(function () {
    for (const out of outputs) {
      assert.ok(!out.includes(DB_1) && !out.includes(DB_2), `a secret value was printed:\n${out}`);
    }
    const state = fs.existsSync(path.join(dir, "backend")) ? readStateFile(dir, "fleetgate", stack) : "";
    assert.ok(!state.includes(DB_1) && !state.includes(DB_2), "a secret value is in the state file");
    assert.ok(!state.includes(KEY), "the API key is in the state file");
    if (this.currentTest?.state === "failed") console.log(outputs.slice(-2).join("\n----\n"));
  });

  const backend = (name: string, services: string[]) => ({
    name,
    services,
    vars: { NODE_ENV: "production", DB_PASSWORD: { secret: "dbPassword" } },
  });
  const edge = (services: string[]) => ({ name: "edge", services, vars: { EDGE_MODE: "on" } });

  it("first up: services, complete sets, live deploys, a succeeded record", async () => {
    writeConfig({
      sets: [backend("backend", [names.api, names.worker]), edge([names.jobs])],
      apiImage: IMAGE("1.0.0"),
    });
    const r = await upAndTrack("first up", true);
    assert.strictEqual(r.code, 0, r.output);
    assertEnvConverged("first up");
    for (const n of Object.values(names)) assert.strictEqual(liveImage(n), IMAGE("1.0.0"), n);
    const rec = lastRecord();
    assert.strictEqual(rec?.outcome, "succeeded");
    assert.strictEqual(rec.images[names.api], IMAGE("1.0.0"));
    // Keys set by hand from now on must survive every step.
    render.setEnvVar(id(names.worker), "SET_BY_HAND", "kept");
    hand[names.worker] = { SET_BY_HAND: "kept" };
  });

  it("secret rotation: the services of the set redeploy, the other does not", async () => {
    const before = { api: deploysOf(names.api).length, jobs: deploysOf(names.jobs).length };
    await ok("config", "set", "--secret", "fleetgate:dbPassword", DB_2);
    currentDb = DB_2;
    // The reviewer's view: the changed key per service, never its value (afterEach checks the value).
    const preview = await ok("preview", "--diff");
    assert.match(preview, /render-dt-api-env[\s\S]*DB_PASSWORD/);
    assert.doesNotMatch(preview, /render-dt-jobs-env[^\n]*update/);
    const r = await upAndTrack("secret rotation", true);
    assert.strictEqual(r.code, 0, r.output);
    assertEnvConverged("secret rotation");
    ledgerMatchesLive("secret rotation");
    assert.strictEqual(deploysOf(names.api).length, before.api + 1, "api redeployed");
    assert.strictEqual(deploysOf(names.jobs).length, before.jobs, "jobs (other set) not redeployed");
    assert.strictEqual(render.liveDeployOf(id(names.api))!.id, deploysOf(names.api)[0].id);
  });

  it("run-setting change: dockerCommand reaches the service and deploys it", async () => {
    const before = { worker: deploysOf(names.worker).length, api: deploysOf(names.api).length };
    writeConfig({ ...current, workerCommand: "node worker.js --fast" });
    const r = await upAndTrack("run-setting change", true);
    assert.strictEqual(r.code, 0, r.output);
    const svc = render.serviceByName(names.worker)!;
    assert.strictEqual(svc.serviceDetails.envSpecificDetails.dockerCommand, "node worker.js --fast");
    assert.strictEqual(deploysOf(names.worker).length, before.worker + 1, "worker deployed");
    assert.strictEqual(deploysOf(names.api).length, before.api, "api not deployed");
    assertEnvConverged("run-setting change");
    ledgerMatchesLive("run-setting change");
  });

  it("failed smoke with rollback: up fails, the old image is live, the record says rolled back", async () => {
    writeConfig({ ...current, apiImage: IMAGE("1.1.0-bad") });
    const r = await upAndTrack("failed smoke", true);
    assert.notStrictEqual(r.code, 0, "up must fail when the smoke gate fails");
    assert.match(r.output, /api-health/);
    assert.strictEqual(liveImage(names.api), IMAGE("1.0.0"), "rolled back to the previous image");
    assert.strictEqual(deploysOf(names.api)[0].trigger, "rollback");
    const rec = lastRecord();
    assert.notStrictEqual(rec.outcome, "succeeded", "a rolled-back deploy is never recorded as succeeded");
    expectLedger(
      (rec.outcome as string) === "rolled-back",
      `failed smoke: outcome is "${rec.outcome}", not "rolled-back"`,
    );
    expectLedger(
      rec.images[names.api] === IMAGE("1.0.0"),
      `failed smoke: the record names ${rec.images[names.api]}, but ${IMAGE("1.0.0")} is live`,
    );
    assertEnvConverged("failed smoke");
  });

  it("re-up with the same config redeploys and gates (or fails); never green on an image that is not live", async () => {
    const before = deploysOf(names.api).length;
    const r = await upAndTrack("re-up after rollback", true);
    assert.ok(deploysOf(names.api).length > before, "the declared image was deployed again");
    assert.ok(
      deploysOf(names.api).some(
        (d, i) => i < deploysOf(names.api).length - before && d.image === IMAGE("1.1.0-bad"),
      ),
      "the new deploy is of the declared image",
    );
    if (r.code === 0)
      assert.strictEqual(liveImage(names.api), IMAGE("1.1.0-bad"), "green only with the declared image live");
    else assert.notStrictEqual(lastRecord().outcome, "succeeded");
    // Back to a good build for the next steps.
    writeConfig({ ...current, apiImage: IMAGE("1.2.0") });
    const fixed = await upAndTrack("fixed build", true);
    assert.strictEqual(fixed.code, 0, fixed.output);
    assert.strictEqual(liveImage(names.api), IMAGE("1.2.0"));
    assert.strictEqual(lastRecord().outcome, "succeeded");
    ledgerMatchesLive("fixed build");
  });

  it("out-of-band deploy: refresh shows it, up converges to the declared image", async () => {
    render.deployByHand(id(names.api), IMAGE("0.9.0"));
    await render.settled(id(names.api));
    const refresh = await ok("refresh", "--yes");
    assert.match(refresh, /fleetgate:render:Deploy/);
    assert.strictEqual(liveImage(names.api), IMAGE("0.9.0"), "refresh changes nothing on Render");
    const r = await upAndTrack("out-of-band deploy", true);
    assert.strictEqual(r.code, 0, r.output);
    assert.strictEqual(liveImage(names.api), IMAGE("1.2.0"), "up redeployed the declared image");
    expectLedger(
      lastRecord().images[names.api] === IMAGE("1.2.0"),
      "out-of-band deploy: no record of the redeploy",
    );
    assertEnvConverged("out-of-band deploy");
    ledgerMatchesLive("out-of-band deploy");
  });

  it("set rename: no key lost, nothing redeployed", async () => {
    const counts = Object.values(names).map((n) => deploysOf(n).length);
    writeConfig({ ...current, sets: [backend("core", [names.api, names.worker]), edge([names.jobs])] });
    const r = await upAndTrack("set rename", false);
    assert.strictEqual(r.code, 0, r.output);
    assertEnvConverged("set rename");
    assert.deepStrictEqual(
      Object.values(names).map((n) => deploysOf(n).length),
      counts,
      "a rename changes no value: no deploy",
    );
    // Converged: no perpetual diff (env maps, live deploys, normalized images and URLs).
    await ok("preview", "--expect-no-changes");
  });

  it("service moved between sets: only its own map changes, no declared key lost", async () => {
    const before = { api: deploysOf(names.api).length, worker: deploysOf(names.worker).length };
    writeConfig({ ...current, sets: [backend("core", [names.api]), edge([names.jobs, names.worker])] });
    const r = await upAndTrack("service moved", true);
    assert.strictEqual(r.code, 0, r.output);
    assertEnvConverged("service moved");
    ledgerMatchesLive("service moved");
    assert.strictEqual(render.envOf(id(names.worker)).EDGE_MODE, "on");
    assert.strictEqual(deploysOf(names.worker).length, before.worker + 1, "its env changed: it redeploys");
    assert.strictEqual(deploysOf(names.api).length, before.api, "api untouched");
  });

  it("baseUrl cosmetic change (trailing /): nothing replaced, nothing deployed", async () => {
    const ids = Object.values(names).map(id);
    const counts = Object.values(names).map((n) => deploysOf(n).length);
    // A trailing `/` (the config schema takes lower-case schemes only; case is covered by the
    // handler tests).
    writeConfig({ ...current, baseUrl: `${render.url}/` });
    const r = await upAndTrack("baseUrl cosmetic", false);
    assert.strictEqual(r.code, 0, r.output);
    assert.deepStrictEqual(Object.values(names).map(id), ids, "same services");
    assert.deepStrictEqual(
      Object.values(names).map((n) => deploysOf(n).length),
      counts,
    );
    assert.doesNotMatch(r.output, /replace/i);
    assertEnvConverged("baseUrl cosmetic");
  });

  it("destroy removes the services", async () => {
    await ok("destroy", "--yes", "--skip-preview");
    assert.deepStrictEqual(
      [...render.services.values()].filter((s) => s.ownerId === "tea-daytwo").map((s) => s.name),
      [],
    );
  });

  // The gates' part of the rule (components/gates.ts, lib/ledger): reported together, after the
  // platform steps, so one gap does not hide the other.
  it("the gates re-ran after every deploy and every ledger record names what is live", () => {
    const notRerun = gateReruns.filter((g) => !g.ran).map((g) => g.step);
    assert.deepStrictEqual(
      { gatesNotRerunAfter: notRerun, ledgerGaps },
      { gatesNotRerunAfter: [], ledgerGaps: [] },
    );
  });
});
