/**
 * The SmokeSuite through the real Pulumi engine (inline Automation API program): a passing suite
 * stores its table and keeps the API key encrypted; a failing one makes `pulumi up` fail with
 * the table and the rollback in its output.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import type { RollbackTarget } from "../../components/platform";
import { SmokeSuite, SuiteCheck } from "../../providers/checks/smokeSuite";
import { engineBinDir, engineEnv, readStateFile, tempDir } from "../support/engine";
import { HttpFixtures, startHttpFixtures } from "../support/http-fixtures";

const API_KEY = "engine-smoke-key-77c1d0";

describe("engine: SmokeSuite in pulumi up", function () {
  this.timeout(180_000);
  let fx: HttpFixtures;
  let dir: string;
  let stack: Stack;
  let healthPath = "/json";
  const marker = () => path.join(dir, "rolled-back.txt");

  before(async () => {
    // The Automation API finds `pulumi` on this process's PATH (scripts/test.sh puts it there).
    if (!(process.env.PATH ?? "").split(path.delimiter).includes(engineBinDir())) {
      process.env.PATH = `${engineBinDir()}${path.delimiter}${process.env.PATH ?? ""}`;
    }
    fx = await startHttpFixtures({ validKey: API_KEY });
    dir = tempDir("smoke-engine");
    const markerFile = path.join(dir, "rolled-back.txt");
    const program = async () => {
      const checks: SuiteCheck[] = [
        {
          name: "api-health",
          kind: "json",
          target: "api",
          path: healthPath,
          url: `${fx.url}${healthPath}`,
          timeoutMs: 2000,
          field: "status",
          equals: "ok",
        },
        {
          name: "api-key",
          kind: "apiKey",
          target: "api",
          path: "/me",
          url: `${fx.url}/me`,
          timeoutMs: 2000,
          header: "authorization",
        },
      ];
      if (healthPath !== "/json") {
        // Failures that go through the error paths of the serialized check code.
        const http = { kind: "http" as const, target: "partner", timeoutMs: 2000, expectStatus: 200 };
        checks.push(
          { ...http, name: "partner-down", path: "/", url: "http://127.0.0.1:1/" },
          { ...http, name: "partner-loop", path: "/loop-a", url: `${fx.url}/loop-a` },
        );
      }
      const rollbackTargets: Record<string, RollbackTarget> = {
        api: { platform: "local", stateDir: dir, service: "api", previousRevision: "rev-1" },
      };
      const suite = new SmokeSuite(
        "smoke",
        {
          targets: ["api"],
          revision: healthPath === "/json" ? "rev-1" : "rev-2",
          // A new deploy of the covered service (and here new checks) re-runs the suite.
          deployments: { api: healthPath === "/json" ? "api:1" : "api:2" },
          checks,
          secrets: pulumi.secret({ "api-key": { validKey: API_KEY } }),
          retries: 1,
          rollbackOnFailure: true,
          rollbackTargets,
        },
        async (target) => {
          const t = target as { service: string; previousRevision: string };
          require("fs").appendFileSync(markerFile, `${t.service}\n`);
          return `restarted ${t.service} at ${t.previousRevision}`;
        },
      );
      return { table: suite.table, summary: suite.summary };
    };
    stack = await LocalWorkspace.createOrSelectStack(
      { stackName: "smoke", projectName: "gates-smoke", program },
      { envVars: engineEnv(dir) },
    );
  });

  after(async () => {
    // No destroy: the gates hold nothing outside the state, which goes with the temp dir.
    await fx?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("passes a healthy deploy and stores the table, never the key", async () => {
    const res = await stack.up();
    assert.strictEqual(res.summary.result, "succeeded");
    assert.match(res.outputs.summary.value, /2\/2 checks passed/);
    assert.match(res.outputs.table.value, /api-key\s+api\s+PASS/);
    const state = readStateFile(dir, "gates-smoke", "smoke");
    assert.ok(state.includes("pulumi-nodejs:dynamic/checks:SmokeSuite"));
    assert.ok(!state.includes(API_KEY), "the API key appears in plain text in the state");
  });

  it("previews a new deploy of a covered service as an update without calling the services", async () => {
    healthPath = "/500";
    const hits = fx.hits("/500");
    const preview = await stack.preview();
    assert.strictEqual(preview.changeSummary.update, 1);
    assert.strictEqual(fx.hits("/500"), hits);
  });

  it("fails pulumi up with the table and rolls the failed service back", async () => {
    healthPath = "/500";
    await assert.rejects(
      stack.up(),
      (err: Error & { commandResult?: { code: number; stdout: string; stderr: string } }) => {
        const output = `${err.commandResult?.stdout}\n${err.commandResult?.stderr}`;
        assert.notStrictEqual(err.commandResult?.code, 0);
        assert.match(
          output,
          /smoke suite failed: 3 of 4 checks failed: api-health, partner-down, partner-loop/,
        );
        assert.match(
          output,
          /partner-down\s+partner\s+FAIL\s+\d+ ms\s+cannot connect to 127\.0\.0\.1:1 \(ECONNREFUSED\) \(after 2 tries\)/,
        );
        assert.match(output, /partner-loop\s+partner\s+FAIL\s+\d+ ms\s+redirect loop/);
        assert.match(output, /Not rolled back:\s+- partner: not rolled back/);
        assert.match(output, /api-health\s+api\s+FAIL\s+\d+ ms\s+answered 500, expected 2xx/);
        assert.match(output, /Rolled back to the previous deploy:\s+- api: restarted api at rev-1/);
        assert.ok(!output.includes(API_KEY));
        return true;
      },
    );
    assert.strictEqual(fs.readFileSync(marker(), "utf8"), "api\n");
  });
});
