/**
 * The deploy features inside a real Fleet on the local platform, through the real engine
 * (inline program): a healthy deploy writes the evidence record (smoke results, watch figures)
 * and notifies success; a deploy that breaks after its smoke check fails in the post-deploy
 * watch, is rolled back to the previous deploy, recorded as rolled-back (with the image live
 * again) and notified.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { Fleet } from "../../components/fleet";
import { validateStackConfig } from "../../config/load";
import type { DeployRecord } from "../../lib/ledger/record";
import { readRecords } from "../../lib/ledger/file";
import { engineBinDir, engineEnv, REPO_ROOT, tempDir } from "../support/engine";
import { freeServicePort } from "../local/support";
import { ChatHook, startChatHook } from "./support";

describe("deploy features in a local Fleet through the engine", function () {
  this.timeout(240_000);
  let hook: ChatHook;
  let dir: string;
  let stack: Stack;
  let port: number;
  let version = "1.0.0";
  let failAfterMs: string | undefined;
  const ledger = () => path.join(dir, "local", "ledger.jsonl");
  const health = () =>
    fetch(`http://127.0.0.1:${port}/health`).then(
      (r) => r.json() as Promise<{ status: string; version: string }>,
    );

  before(async () => {
    if (!(process.env.PATH ?? "").split(path.delimiter).includes(engineBinDir())) {
      process.env.PATH = `${engineBinDir()}${path.delimiter}${process.env.PATH ?? ""}`;
    }
    assert.strictEqual(
      process.cwd(),
      REPO_ROOT,
      "run mocha from the project root (local commands are project-relative)",
    );
    hook = await startChatHook();
    dir = tempDir("deploy-fleet");
    port = await freeServicePort();
    const program = async () => {
      const raw = {
        platform: { kind: "local", stateDir: path.join(dir, "local") },
        fleet: {
          name: "watched",
          environment: "test",
          services: [
            {
              name: "app",
              type: "web",
              image: `ghcr.io/fleetgate-test/app:${version}`,
              healthCheckPath: "/health",
              env: { APP_VERSION: version, ...(failAfterMs ? { FAIL_AFTER_MS: failAfterMs } : {}) },
              local: { command: ["node", "tests/deploy/fixtures/app.js"], port, startTimeoutSeconds: 10 },
            },
          ],
        },
        gates: {
          smoke: {
            timeoutMs: 2000,
            retries: 0,
            checks: [
              {
                name: "app-health",
                kind: "json",
                target: "app",
                path: "/health",
                field: "status",
                equals: "ok",
              },
            ],
          },
          watch: {
            windowSeconds: 4,
            intervalSeconds: 0.25,
            baselineSamples: 2,
            requestTimeoutMs: 1000,
            maxErrorRatePercent: 10,
            rollback: true,
          },
          notifications: { webhooks: [{ name: "chat", url: `${hook.url}/hooks/chat` }], timeoutMs: 2000 },
        },
      };
      const r = validateStackConfig(raw, { secretKeys: new Set() });
      if (!r.ok) throw new Error(JSON.stringify(r.issues));
      const fleet = new Fleet("watched", { config: r.config });
      return { evidence: fleet.deploy.post.evidence?.record, watch: fleet.deploy.post.watch?.table };
    };
    stack = await LocalWorkspace.createOrSelectStack(
      { stackName: "test", projectName: "deploy-fleet", program },
      { envVars: engineEnv(dir) },
    );
  });

  after(async () => {
    await stack?.destroy().catch((e) => console.error(String(e)));
    await hook?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("records a healthy deploy with its checks and watch figures and notifies success", async () => {
    const res = await stack.up();
    const rec = res.outputs.evidence.value as DeployRecord;
    assert.strictEqual(rec.outcome, "succeeded");
    assert.deepStrictEqual(rec.images, { app: "ghcr.io/fleetgate-test/app:1.0.0" });
    assert.deepStrictEqual(
      rec.checks.map((c) => [c.check, c.status]),
      [["app-health", "pass"]],
    );
    assert.strictEqual(rec.watch?.[0].verdict, "ok");
    assert.strictEqual(rec.watch?.[0].samples, 17);
    assert.deepStrictEqual(readRecords(ledger()).records, [rec]);
    assert.strictEqual(hook.posts.length, 1);
    assert.match(hook.posts[0].body.text, /watched \(test\) deployed revision \w+ \| checks 1\/1 passed/);
  });

  it("fails a deploy that breaks after its smoke check, rolls it back and records it", async () => {
    version = "1.0.1";
    failAfterMs = "1500";
    await assert.rejects(
      stack.up(),
      (err: Error & { commandResult?: { stdout: string; stderr: string } }) => {
        const output = `${err.commandResult?.stdout}\n${err.commandResult?.stderr}`;
        assert.match(output, /post-deploy watch failed: app \(error rate [\d.]+ % > 10 %\)/);
        assert.match(
          output,
          /Rolled back to the previous deploy:\s+- app: rolled back app from deploy \d+ to deploy \d+/,
        );
        return true;
      },
    );
    const after = await health();
    assert.deepStrictEqual(after, { status: "ok", version: "1.0.0" });
    const recs = readRecords(ledger()).records as DeployRecord[];
    assert.deepStrictEqual(
      recs.map((r) => r.outcome),
      ["succeeded", "rolled-back"],
    );
    assert.strictEqual(recs[1].failure?.gate, "watch");
    // The record names what is live after the rollback, and what was declared.
    assert.strictEqual(recs[1].images.app, "ghcr.io/fleetgate-test/app:1.0.0");
    assert.strictEqual(recs[1].declaredImages?.app, "ghcr.io/fleetgate-test/app:1.0.1");
    assert.match(recs[1].rollback[0], /^app: rolled back app/);
    assert.strictEqual(hook.posts.length, 2);
    assert.match(hook.posts[1].body.text, /FAILED at watch and was ROLLED BACK/);
  });
});
