/**
 * The day-two matrix on the local platform (issue 13): one stack of a small fleet, each step a
 * real `pulumi up`/`refresh` through the CLI (Automation API over the engine), asserting after
 * each the platform's state (processes, env files, deploy records) and the evidence ledger:
 * first up → secret rotation → run-setting change → failed smoke with rollback → re-up with the
 * same config → service killed, restarted outside Pulumi, or replaced by hand → set rename →
 * service moved between sets → destroy. While every `up` runs, a watcher reads the env files
 * and fails the step if a key declared before and after it was ever missing.
 */
import * as assert from "assert";
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { Fleet } from "../../components/fleet";
import { validateStackConfig } from "../../config/load";
import { readRecords } from "../../lib/ledger/file";
import type { DeployRecord } from "../../lib/ledger/record";
import { envFilePath, readDeployRecord, readEnvFile, readProcessRecord } from "../../providers/local/files";
import { isOurProcess } from "../../providers/local/process";
import { rollback } from "../../providers/local/rollback";
import { engineBinDir, engineEnv, readStateFile, REPO_ROOT, tempDir } from "../support/engine";
import { freeServicePort, portInUse, processAlive } from "../local/support";

const FIXTURE = "tests/daytwo/fixtures/svc.js";
const SERVICES = ["api", "web", "worker"] as const;
type Svc = (typeof SERVICES)[number];

describe("day two on the local platform through the engine", function () {
  this.timeout(600_000);
  this.bail(true);
  let dir: string;
  let stack: Stack;
  const ports = {} as Record<Svc, number>;
  const tokens = ["first-token-0a1b2c3d4e5f", "rotated-token-9z8y7x6w5v"];
  // What the test changes from step to step.
  const decl = {
    apiImage: "ghcr.io/daytwo/api:1.0.0",
    apiArgs: [] as string[],
    apiAppStatus: "200",
    coreName: "core",
    webSet: "core" as "core" | "edge",
  };
  const stateDir = () => path.join(dir, "local");
  const ledgerFile = () => path.join(stateDir(), "ledger.jsonl");
  const rec = (svc: Svc) => readProcessRecord(stateDir(), svc);
  const running = (svc: Svc) => isOurProcess(rec(svc));
  const envOf = (svc: Svc) => readEnvFile(envFilePath(stateDir(), svc)) ?? {};
  const ledger = () => readRecords(ledgerFile()).records as DeployRecord[];
  const pids = () => Object.fromEntries(SERVICES.map((s) => [s, rec(s)?.pid ?? 0])) as Record<Svc, number>;
  const liveImage = (svc: Svc) => readDeployRecord(stateDir(), svc, rec(svc)!.deployId)!.rec.image;
  const liveEnv = async (svc: Svc) =>
    (await (await fetch(`http://127.0.0.1:${ports[svc]}/env`)).json()) as {
      env: Record<string, string>;
      args: string[];
    };
  const sha256 = (v: string) => require("crypto").createHash("sha256").update(v).digest("hex") as string;

  /** The keys each service's env declares now (every layer). */
  const declaredKeys = (): Record<Svc, string[]> => {
    const core = ["API_TOKEN", "LOG_LEVEL", "SHARED"];
    const edge = ["EDGE_MODE", "SHARED"];
    const own = ["SERVICE_NAME", "VERSION"];
    return {
      api: [...new Set([...core, ...own, "APP_STATUS"])].sort(),
      web: [...new Set([...(decl.webSet === "core" ? core : edge), ...own])].sort(),
      worker: [...new Set([...edge, ...own])].sort(),
    };
  };

  /**
   * Runs `up` while reading the env files every 50 ms; resolves with the result (or the error)
   * and every moment a key in `mustStay` was missing from its service's file.
   */
  async function upWatched(mustStay: Record<Svc, string[]>) {
    const lost = new Set<string>();
    let done = false;
    const watcher = (async () => {
      while (!done) {
        for (const svc of SERVICES) {
          let onDisk: Record<string, string> = {};
          try {
            onDisk = envOf(svc);
          } catch {
            // A file being replaced (temp + rename) never reads half-written; anything else counts.
            lost.add(`${svc}: unreadable`);
          }
          for (const k of mustStay[svc]) if (!(k in onDisk)) lost.add(`${svc}.${k}`);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    let error: (Error & { commandResult?: { stdout: string; stderr: string } }) | undefined;
    try {
      await stack.up();
    } catch (e) {
      error = e as typeof error;
    }
    done = true;
    await watcher;
    const output = error ? `${error.commandResult?.stdout}\n${error.commandResult?.stderr}` : "";
    return { error, output, lost: [...lost].sort() };
  }

  /** Keys declared both now and after `change()`: they must never leave their file. */
  async function step(change: () => void | Promise<void>) {
    const before = declaredKeys();
    await change();
    const after = declaredKeys();
    const mustStay = Object.fromEntries(
      SERVICES.map((s) => [s, before[s].filter((k) => after[s].includes(k))]),
    ) as Record<Svc, string[]>;
    return upWatched(mustStay);
  }

  /** After a green up: every service runs its recorded deploy, env files hold every declared key. */
  function assertConverged() {
    const declared = declaredKeys();
    for (const svc of SERVICES) {
      assert.ok(running(svc), `${svc} runs`);
      const onDisk = Object.keys(envOf(svc));
      for (const k of declared[svc]) assert.ok(onDisk.includes(k), `${svc} env file has ${k}`);
    }
  }

  /** When the smoke suite last ran (its `ranAt` in the state). */
  const smokeRanAt = async (): Promise<string> => {
    const resources = (await stack.exportStack()).deployment.resources as {
      type: string;
      urn: string;
      outputs?: { ranAt?: string };
    }[];
    const suite = resources.find((x) => x.type === "pulumi-nodejs:dynamic/checks:SmokeSuite");
    return suite?.outputs?.ranAt ?? "";
  };
  let ranAt = "";
  /** The smoke suite ran in this step (a deploy happened) or not. */
  async function assertGatesRan(expected: boolean) {
    const now = await smokeRanAt();
    if (expected) assert.notStrictEqual(now, ranAt, "the smoke suite ran again");
    else assert.strictEqual(now, ranAt, "the smoke suite did not run");
    ranAt = now;
  }

  /** The last ledger record says `succeeded` and names exactly what is live. */
  function assertLedgerMatchesLive(expectedCount: number) {
    const records = ledger();
    assert.strictEqual(records.length, expectedCount, JSON.stringify(records.map((r) => r.outcome)));
    const last = records[records.length - 1];
    assert.strictEqual(last.outcome, "succeeded");
    for (const svc of SERVICES) {
      assert.strictEqual(last.deployments?.[svc], `${svc}:${rec(svc)!.deployId}`, `${svc} deployment`);
      assert.strictEqual(last.images[svc], liveImage(svc), `${svc} image`);
    }
    assert.deepStrictEqual(
      last.checks.map((c) => [c.check, c.status]),
      [
        ["api-up", "pass"],
        ["web-up", "pass"],
      ],
    );
    return last;
  }

  before(async () => {
    if (!(process.env.PATH ?? "").split(path.delimiter).includes(engineBinDir())) {
      process.env.PATH = `${engineBinDir()}${path.delimiter}${process.env.PATH ?? ""}`;
    }
    assert.strictEqual(process.cwd(), REPO_ROOT, "run mocha from the project root");
    dir = tempDir("daytwo-local");
    for (const s of SERVICES) ports[s] = await freeServicePort();
    const program = async () => {
      const service = (name: Svc, type: string, extra: Record<string, unknown> = {}) => ({
        name,
        type,
        image: `ghcr.io/daytwo/${name}:1.0.0`,
        ...(type === "worker" ? {} : { healthCheckPath: "/health" }),
        env: { SERVICE_NAME: name, VERSION: "1" },
        local: { command: ["node", FIXTURE], port: ports[name], startTimeoutSeconds: 5 },
        ...extra,
      });
      const raw = {
        platform: { kind: "local", stateDir: stateDir() },
        fleet: {
          name: "daytwo",
          environment: "test",
          services: [
            service("api", "web", {
              image: decl.apiImage,
              env: { SERVICE_NAME: "api", VERSION: "1", APP_STATUS: decl.apiAppStatus },
              local: {
                command: ["node", FIXTURE, ...decl.apiArgs],
                port: ports.api,
                startTimeoutSeconds: 5,
              },
            }),
            service("web", "web"),
            service("worker", "worker"),
          ],
          envSets: [
            {
              name: decl.coreName,
              services: decl.webSet === "core" ? ["api", "web"] : ["api"],
              vars: { LOG_LEVEL: "info", SHARED: "yes", API_TOKEN: { secret: "apiToken" } },
            },
            {
              name: "edge",
              services: decl.webSet === "edge" ? ["web", "worker"] : ["worker"],
              vars: { SHARED: "yes", EDGE_MODE: "on" },
            },
          ],
        },
        gates: {
          smoke: {
            timeoutMs: 2000,
            retries: 0,
            rollbackOnFailure: true,
            checks: [
              { name: "api-up", kind: "http", target: "api", path: "/" },
              { name: "web-up", kind: "http", target: "web", path: "/" },
            ],
          },
          ledger: {},
        },
      };
      const r = validateStackConfig(raw, { secretKeys: new Set(["apiToken"]) });
      if (!r.ok) throw new Error(JSON.stringify(r.issues));
      const fleet = new Fleet("daytwo", { config: r.config });
      return { smokeResults: fleet.gates.post.smokeResults };
    };
    stack = await LocalWorkspace.createOrSelectStack(
      { stackName: "test", projectName: "daytwo-local", program },
      { envVars: engineEnv(dir) },
    );
    await stack.setConfig("fleetgate:apiToken", { value: tokens[0], secret: true });
  });

  after(async () => {
    if (!stack) return;
    const left = dir && fs.existsSync(stateDir()) ? pids() : ({} as Record<Svc, number>);
    await stack.destroy().catch((e) => console.error(String(e)));
    // Never leave a process behind, even when a step failed before destroy.
    for (const pid of Object.values(left)) if (pid && processAlive(pid)) process.kill(-pid, "SIGKILL");
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  let last: Record<Svc, number>;

  it("first up: every service runs its deploy with its complete env; the ledger names what is live", async () => {
    const r = await step(() => undefined);
    assert.ok(!r.error, r.output);
    assertConverged();
    assert.deepStrictEqual(
      Object.fromEntries(SERVICES.map((s) => [s, Object.keys(envOf(s)).sort()])),
      declaredKeys(),
    );
    const api = await liveEnv("api");
    assert.strictEqual(api.env.API_TOKEN, sha256(tokens[0]));
    assertLedgerMatchesLive(1);
    await assertGatesRan(true);
    // A key set by hand (not declared) must survive every later step.
    fs.appendFileSync(envFilePath(stateDir(), "api"), "HAND_SET=kept\n");
    last = pids();
  });

  it("secret rotation restarts the services that receive it and re-runs the gates", async () => {
    const r = await step(() => stack.setConfig("fleetgate:apiToken", { value: tokens[1], secret: true }));
    assert.ok(!r.error, r.output);
    assert.deepStrictEqual(r.lost, []);
    const now = pids();
    assert.notStrictEqual(now.api, last.api, "api restarted");
    assert.notStrictEqual(now.web, last.web, "web restarted");
    assert.strictEqual(now.worker, last.worker, "worker does not receive the secret: not restarted");
    assert.strictEqual((await liveEnv("api")).env.API_TOKEN, sha256(tokens[1]));
    assert.strictEqual(envOf("api").HAND_SET, "kept");
    assertLedgerMatchesLive(2);
    await assertGatesRan(true);
    last = now;
  });

  it("a run-setting change restarts that service alone and re-runs the gates", async () => {
    const r = await step(() => {
      decl.apiArgs = ["--mode=v2"];
    });
    assert.ok(!r.error, r.output);
    const now = pids();
    assert.notStrictEqual(now.api, last.api);
    assert.strictEqual(now.web, last.web);
    assert.strictEqual(now.worker, last.worker);
    assert.deepStrictEqual((await liveEnv("api")).args, ["--mode=v2"]);
    assertLedgerMatchesLive(3);
    await assertGatesRan(true);
    last = now;
  });

  it("a failed smoke check rolls back: up fails, the ledger says rolled-back with the image live", async () => {
    const r = await step(() => {
      decl.apiImage = "ghcr.io/daytwo/api:2.0.0";
      decl.apiAppStatus = "500";
    });
    assert.ok(r.error, "up fails");
    assert.match(r.output, /smoke suite failed: 1 of 2 checks failed: api-up/);
    assert.match(r.output, /Rolled back to the previous deploy:\s+- api: rolled back api from deploy/);
    assert.deepStrictEqual(r.lost, []);
    // The previous deploy runs again: old image, old env, answering 200.
    assert.ok(running("api"));
    assert.strictEqual(liveImage("api"), "ghcr.io/daytwo/api:1.0.0");
    assert.strictEqual((await fetch(`http://127.0.0.1:${ports.api}/`)).status, 200);
    const records = ledger();
    assert.strictEqual(records.length, 4);
    const rolled = records[3];
    assert.strictEqual(rolled.outcome, "rolled-back");
    assert.strictEqual(rolled.images.api, "ghcr.io/daytwo/api:1.0.0", "the image actually live");
    assert.strictEqual(rolled.declaredImages?.api, "ghcr.io/daytwo/api:2.0.0");
    assert.strictEqual(rolled.failure?.gate, "smoke");
  });

  it("re-up with the same config redeploys the declared image and gates it again (fails, never green)", async () => {
    const deployBefore = rec("api")!.deployId;
    const r = await step(() => undefined);
    assert.ok(r.error, "up is not green while the declared image fails its check");
    assert.match(r.output, /smoke suite failed: 1 of 2 checks failed: api-up/);
    // The declared image was deployed again (then rolled back again by the gate).
    const redeployed = readDeployRecord(stateDir(), "api", deployBefore + 1)!;
    assert.strictEqual(redeployed.rec.image, "ghcr.io/daytwo/api:2.0.0");
    assert.strictEqual(rec("api")!.deployId, deployBefore + 2);
    assert.strictEqual(liveImage("api"), "ghcr.io/daytwo/api:1.0.0");
    const records = ledger();
    assert.deepStrictEqual(
      records.map((x) => x.outcome),
      ["succeeded", "succeeded", "succeeded", "rolled-back", "rolled-back"],
    );
    assert.strictEqual(records[4].images.api, "ghcr.io/daytwo/api:1.0.0");
  });

  it("the fixed release deploys green; the ledger names the new image", async () => {
    const r = await step(() => {
      decl.apiAppStatus = "200";
    });
    assert.ok(!r.error, r.output);
    assertConverged();
    const rec6 = assertLedgerMatchesLive(6);
    await assertGatesRan(true);
    assert.strictEqual(rec6.images.api, "ghcr.io/daytwo/api:2.0.0");
    last = pids();
  });

  it("a killed service is found by the next up (no refresh), redeployed and gated", async () => {
    const deployBefore = rec("api")!.deployId;
    process.kill(last.api, "SIGKILL");
    for (let i = 0; i < 50 && processAlive(last.api); i++) await new Promise((r) => setTimeout(r, 100));
    const r = await step(() => undefined);
    assert.ok(!r.error, r.output);
    assert.strictEqual(rec("api")!.deployId, deployBefore + 1, "redeployed");
    assert.strictEqual(pids().web, last.web, "only the dead service restarts");
    assertLedgerMatchesLive(7);
    await assertGatesRan(true);
    last = pids();
  });

  it("a deploy restarted outside Pulumi shows on refresh, and the next up redeploys the declared one", async () => {
    const made = rec("api")!.deployId;
    // By hand: restart the previous deploy from the records (the local out-of-band deploy).
    const hand = await rollback({ platform: "local", stateDir: stateDir(), service: "api" });
    assert.notStrictEqual(rec("api")!.deployId, made);
    const refreshed = await stack.refresh();
    assert.strictEqual(refreshed.summary.result, "succeeded");
    const state = (await stack.exportStack()).deployment.resources as {
      type: string;
      outputs?: { name?: string; status?: string; deployId?: number };
    }[];
    const api = state.find(
      (x) => x.type === "pulumi-nodejs:dynamic/local:Service" && x.outputs?.name === "api",
    );
    assert.strictEqual(api?.outputs?.status, "drifted", "refresh shows the drift");
    assert.strictEqual(api?.outputs?.deployId, made, "and keeps the deploy pulumi made");
    const r = await step(() => undefined);
    assert.ok(!r.error, r.output);
    assert.ok(rec("api")!.deployId > Number(hand.liveDeploy), "the declared deploy runs again");
    assert.strictEqual(liveImage("api"), "ghcr.io/daytwo/api:2.0.0");
    assertLedgerMatchesLive(8);
    await assertGatesRan(true);
    last = pids();
  });

  it("a process started by hand on the service's port fails the up (never green); stopping it converges", async () => {
    process.kill(last.api, "SIGKILL");
    for (let i = 0; i < 50 && processAlive(last.api); i++) await new Promise((r) => setTimeout(r, 100));
    const stranger = spawn(process.execPath, [FIXTURE], {
      cwd: REPO_ROOT,
      env: { PORT: String(ports.api), HEALTH_STATUS: "500", APP_STATUS: "500" },
      stdio: "ignore",
    });
    try {
      for (let i = 0; i < 50 && !(await portInUse(ports.api)); i++)
        await new Promise((r) => setTimeout(r, 100));
      const r = await step(() => undefined);
      assert.ok(r.error, "up fails");
      assert.match(r.output, new RegExp(`port ${ports.api} is in use by another process`));
      assert.strictEqual(ledger().length, 8, "no record claims a deploy");
      assert.ok(processAlive(stranger.pid!), "a process that is not ours is never signalled");
    } finally {
      stranger.kill("SIGKILL");
    }
    for (let i = 0; i < 50 && (await portInUse(ports.api)); i++) await new Promise((r) => setTimeout(r, 100));
    const r = await step(() => undefined);
    assert.ok(!r.error, r.output);
    assertLedgerMatchesLive(9);
    await assertGatesRan(true);
    last = pids();
  });

  it("renaming a set changes no service's env: no key is lost, nothing restarts", async () => {
    const r = await step(() => {
      decl.coreName = "platform";
    });
    assert.ok(!r.error, r.output);
    assert.deepStrictEqual(r.lost, []);
    assert.deepStrictEqual(pids(), last, "no restart: no service's env changed");
    await assertGatesRan(false);
    assertConverged();
    assert.strictEqual(envOf("api").HAND_SET, "kept");
  });

  it("moving a service between sets keeps every key still declared and restarts only that service", async () => {
    const r = await step(() => {
      decl.webSet = "edge";
    });
    assert.ok(!r.error, r.output);
    assert.deepStrictEqual(r.lost, []);
    assert.deepStrictEqual(Object.keys(envOf("web")).sort(), declaredKeys().web);
    assert.ok(!("API_TOKEN" in envOf("web")), "a key no layer of web declares any more is gone");
    const now = pids();
    assert.notStrictEqual(now.web, last.web);
    assert.strictEqual(now.api, last.api);
    assert.strictEqual(now.worker, last.worker);
    assertConverged();
    const records = ledger();
    const lastRec = records[records.length - 1];
    assert.strictEqual(lastRec.outcome, "succeeded");
    assert.strictEqual(lastRec.deployments?.web, `web:${rec("web")!.deployId}`);
    await assertGatesRan(true);
    last = now;
  });

  it("destroy leaves no process, no env file and no secret on disk", async () => {
    const before = pids();
    await stack.destroy();
    for (const svc of SERVICES) {
      assert.ok(!processAlive(before[svc]), `${svc} stopped`);
      assert.ok(!(await portInUse(ports[svc])), `${svc} port free`);
    }
    const files: string[] = [];
    const walk = (d: string) => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, e.name);
        if (e.isDirectory()) walk(p);
        else files.push(p);
      }
    };
    walk(stateDir());
    const rel = files.map((f) => path.relative(stateDir(), f)).sort();
    assert.ok(!rel.some((f) => f.startsWith("services/")), `no deploy records left: ${rel.join(", ")}`);
    // Env files go; only a key set by hand (never ours to delete) keeps its file.
    assert.deepStrictEqual(
      rel.filter((f) => f.startsWith("env/")),
      ["env/api.env"],
    );
    assert.deepStrictEqual(envOf("api"), { HAND_SET: "kept" });
    for (const f of files) {
      const text = fs.readFileSync(f, "utf8");
      for (const t of tokens) assert.ok(!text.includes(t), `${path.relative(dir, f)} holds a secret value`);
    }
    const state = readStateFile(dir, "daytwo-local", "test");
    for (const t of tokens) assert.ok(!state.includes(t));
  });
});
