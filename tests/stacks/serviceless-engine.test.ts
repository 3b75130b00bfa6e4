/**
 * A fleet with no services of its own (HotDash's shape) through the real engine: the local
 * platform creates nothing, the smoke suite checks the external target served by this test on
 * loopback, the evidence record names no image, and a failing target fails the update.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as http from "http";
import { AddressInfo } from "net";
import * as path from "path";
import { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { Fleet } from "../../components/fleet";
import { validateStackConfig } from "../../config/load";
import type { DeployRecord } from "../../lib/ledger/record";
import { engineBinDir, engineEnv, tempDir } from "../support/engine";

describe("a fleet with no services through the engine (local platform)", function () {
  this.timeout(240_000);
  let dir: string;
  let stack: Stack;
  let server: http.Server;
  let healthy = true;
  let expectStatus = "ok";

  before(async () => {
    if (!(process.env.PATH ?? "").split(path.delimiter).includes(engineBinDir())) {
      process.env.PATH = `${engineBinDir()}${path.delimiter}${process.env.PATH ?? ""}`;
    }
    // The external app: a health endpoint this test can break.
    server = http.createServer((_req, res) => {
      res.writeHead(healthy ? 200 : 503, { "content-type": "application/json" });
      res.end(JSON.stringify({ status: healthy ? "ok" : "down" }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    dir = tempDir("serviceless");
    const program = async () => {
      const raw = {
        platform: { kind: "local", stateDir: path.join(dir, "local") },
        fleet: {
          name: "watcher",
          environment: "test",
          services: [],
          externalTargets: [{ name: "fly-app", url, platform: "fly.io" }],
        },
        gates: {
          smoke: {
            timeoutMs: 2000,
            retries: 0,
            checks: [
              {
                name: "fly-app-health",
                kind: "json",
                target: "fly-app",
                path: "/health",
                field: "status",
                equals: expectStatus,
              },
            ],
          },
          ledger: {},
        },
      };
      const r = validateStackConfig(raw, { secretKeys: new Set() });
      if (!r.ok) throw new Error(JSON.stringify(r.issues));
      const fleet = new Fleet("watcher", { config: r.config });
      return {
        serviceUrls: fleet.serviceUrls,
        smoke: fleet.gates.post.smokeResults,
        evidence: fleet.deploy.post.evidence?.record,
      };
    };
    stack = await LocalWorkspace.createOrSelectStack(
      { stackName: "test", projectName: "serviceless", program },
      { envVars: engineEnv(dir) },
    );
  });

  after(async () => {
    await stack?.destroy().catch((e) => console.error(String(e)));
    await new Promise((resolve) => server?.close(resolve));
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("creates no service and checks the external target", async () => {
    const res = await stack.up();
    assert.deepStrictEqual(res.outputs.serviceUrls.value, {});
    const results = res.outputs.smoke.value as { check: string; status: string }[];
    assert.deepStrictEqual(
      results.map((r) => [r.check, r.status]),
      [["fly-app-health", "pass"]],
    );
    const rec = res.outputs.evidence.value as DeployRecord;
    assert.strictEqual(rec.outcome, "succeeded");
    assert.deepStrictEqual(rec.images, {});
    const state = await stack.exportStack();
    const types = new Set((state.deployment.resources as { type: string }[]).map((r) => r.type));
    assert.ok(!types.has("pulumi-nodejs:dynamic/local:Service"), [...types].join(", "));
    assert.ok(types.has("pulumi-nodejs:dynamic/checks:SmokeSuite"));
  });

  it("fails the update when the external target fails its check", async () => {
    healthy = false;
    expectStatus = "ok "; // a changed check re-runs the suite
    await assert.rejects(
      stack.up(),
      (err: Error & { commandResult?: { stdout: string; stderr: string } }) => {
        const output = `${err.commandResult?.stdout}\n${err.commandResult?.stderr}`;
        assert.match(output, /fly-app-health/);
        assert.match(output, /503/);
        return true;
      },
    );
  });
});
