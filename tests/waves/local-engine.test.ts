/**
 * Deploy waves on the local platform through the real engine (inline Automation API program
 * building a Fleet): catalog → gateway (after catalog) → worker (after gateway), the worker
 * stopped before the first wave restarts and started again in its own wave. The services note
 * their starts and stops in a file, which gives the order of events.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { Fleet } from "../../components/fleet";
import { validateStackConfig } from "../../config/load";
import { readProcessRecord } from "../../providers/local/files";
import { isOurProcess } from "../../providers/local/process";
import { engineBinDir, engineEnv, REPO_ROOT, tempDir } from "../support/engine";
import { freeServicePort } from "../local/support";

describe("deploy waves on the local platform through the engine", function () {
  this.timeout(240_000);
  this.bail(true);
  let dir: string;
  let stack: Stack;
  let events: string;
  let version = "1.0.0";
  let catalogHealth = "200";
  const ports: Record<string, number> = {};
  const stateDir = () => path.join(dir, "local");
  const readEvents = () => fs.readFileSync(events, "utf8").trim().split("\n");
  const running = (svc: string) => isOurProcess(readProcessRecord(stateDir(), svc));

  before(async () => {
    if (!(process.env.PATH ?? "").split(path.delimiter).includes(engineBinDir())) {
      process.env.PATH = `${engineBinDir()}${path.delimiter}${process.env.PATH ?? ""}`;
    }
    assert.strictEqual(process.cwd(), REPO_ROOT, "run mocha from the project root");
    dir = tempDir("waves-local");
    events = path.join(dir, "events.log");
    for (const n of ["catalog", "gateway", "worker"]) ports[n] = await freeServicePort();
    const service = (name: string, type: string, extra: Record<string, unknown> = {}) => ({
      name,
      type,
      image: `ghcr.io/waves-test/${name}:${version}`,
      ...(type === "worker" ? {} : { healthCheckPath: "/health" }),
      env: {
        SERVICE_NAME: name,
        EVENTS_FILE: events,
        VERSION: version,
        HEALTH_STATUS: name === "catalog" ? catalogHealth : "200",
      },
      local: { command: ["node", "tests/waves/fixtures/svc.js"], port: ports[name], startTimeoutSeconds: 3 },
      ...extra,
    });
    const program = async () => {
      const raw = {
        platform: { kind: "local", stateDir: stateDir() },
        fleet: {
          name: "haven",
          environment: "test",
          services: [
            service("catalog", "private"),
            service("gateway", "web", { after: ["catalog"] }),
            service("worker", "worker", { after: ["gateway"] }),
          ],
          rollout: { scaleDown: ["worker"] },
        },
        gates: {
          smoke: {
            timeoutMs: 2000,
            retries: 0,
            checks: [
              { name: "catalog-up", kind: "http", target: "catalog", path: "/health" },
              { name: "gateway-up", kind: "http", target: "gateway", path: "/health" },
            ],
          },
        },
      };
      const r = validateStackConfig(raw, { secretKeys: new Set() });
      if (!r.ok) throw new Error(JSON.stringify(r.issues));
      const fleet = new Fleet("haven", { config: r.config });
      return { smokeResults: fleet.gates.post.smokeResults };
    };
    stack = await LocalWorkspace.createOrSelectStack(
      { stackName: "test", projectName: "waves-local", program },
      { envVars: engineEnv(dir) },
    );
  });

  after(async () => {
    await stack?.destroy().catch((e) => console.error(String(e)));
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("starts the waves in order, each after the previous wave's checks passed", async () => {
    const res = await stack.up();
    assert.deepStrictEqual(readEvents(), ["start catalog", "start gateway", "start worker"]);
    const results = res.outputs.smokeResults.value as { check: string; status: string }[];
    assert.deepStrictEqual(
      results.map((r) => [r.check, r.status]),
      [
        ["catalog-up", "pass"],
        ["gateway-up", "pass"],
      ],
    );
    const resources = (await stack.exportStack()).deployment.resources as { type: string; urn: string }[];
    const suites = resources.filter((r) => r.type === "pulumi-nodejs:dynamic/checks:SmokeSuite");
    assert.deepStrictEqual(suites.map((r) => r.urn.split("::").pop()).sort(), [
      "smoke-wave-1",
      "smoke-wave-2",
    ]);
    assert.strictEqual(resources.filter((r) => r.type === "pulumi-nodejs:dynamic/local:Scale").length, 2);
  });

  it("on a new revision stops the worker first and starts it again after the gateway", async () => {
    fs.writeFileSync(events, "");
    version = "1.1.0";
    await stack.up();
    const e = readEvents();
    assert.strictEqual(e[0], "stop worker", `the worker stops first: ${e.join(", ")}`);
    const at = (x: string) => e.indexOf(x);
    assert.ok(
      at("start catalog") < at("start gateway") && at("start gateway") < at("start worker"),
      e.join(", "),
    );
    assert.strictEqual(e.filter((x) => x === "start worker").length, 1, "started once again");
    assert.ok(running("worker"));
  });

  it("a failing catalog check stops the rollout: the gateway keeps its old process, the worker stays stopped", async () => {
    fs.writeFileSync(events, "");
    version = "1.2.0";
    catalogHealth = "503";
    const gatewayPid = readProcessRecord(stateDir(), "gateway")!.pid;
    await assert.rejects(
      stack.up(),
      (err: Error & { commandResult?: { stdout: string; stderr: string } }) => {
        const output = `${err.commandResult?.stdout}\n${err.commandResult?.stderr}`;
        assert.match(output, /smoke suite failed: 1 of 1 checks failed: catalog-up/);
        assert.match(output, /catalog-up\s+catalog\s+FAIL/);
        return true;
      },
    );
    assert.deepStrictEqual(readEvents(), ["stop worker", "stop catalog", "start catalog"]);
    assert.strictEqual(readProcessRecord(stateDir(), "gateway")!.pid, gatewayPid);
    assert.ok(running("gateway"));
    assert.ok(!running("worker"), "the worker stays stopped while the rollout is stuck");
  });
});
