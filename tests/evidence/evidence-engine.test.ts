/**
 * Durable evidence through the real engine, with the S3 ledger on moto_server (loopback):
 * a failed `up` in one clone leaves its failure record in the bucket (not only on the runner's
 * disk); the health checks run there append monitor records; and a second clone, with no local
 * ledger at all, is refused by the error-budget freeze computed from those records.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { stringify } from "yaml";
import { engineEnv, runAsync, runPulumiAsync, tempDir } from "../support/engine";
import { freeServicePort, portInUse } from "../local/support";
import { cloneProject } from "./clones";
import { Moto, MOTO_ENV, startMoto } from "./moto";

const BUCKET = "fleetgate-evidence-engine";
const STACK = "test-evidence";

describe("evidence: the S3 ledger through the engine (two clones, moto_server)", function () {
  this.timeout(600_000);
  let moto: Moto;
  let root: string;
  let port: number;
  const clones: Record<"a" | "b", { dir: string; env: Record<string, string> }> = {} as never;

  const stackFile = () => ({
    config: {
      "fleetgate:platform": { kind: "local" },
      "fleetgate:fleet": {
        name: "evdemo",
        environment: "prod",
        services: [
          {
            name: "dashboard",
            type: "web",
            image: "ghcr.io/fleetgate-demo/dashboard:1.2.0",
            healthCheckPath: "/health",
            url: `http://127.0.0.1:${port}`,
            env: { APP_VERSION: "1.2.0", GATEWAY_URL: "http://127.0.0.1:9" },
            local: { command: ["node", "examples/demo/dashboard/server.js"], port },
          },
        ],
      },
      "fleetgate:gates": {
        ledger: { s3: { bucket: BUCKET, endpoint: moto.endpoint } },
        // The page's title is "fleetgate demo dashboard": this check fails on purpose.
        smoke: {
          retries: 0,
          rollbackOnFailure: false,
          checks: [
            {
              name: "dashboard-page",
              kind: "html",
              target: "dashboard",
              path: "/",
              titleContains: "release 2",
            },
          ],
        },
        errorBudget: { sloPercent: 99, windowDays: 1, minRuns: 2, environments: ["prod"] },
      },
    },
  });

  const pulumi = (clone: "a" | "b", args: string[]) =>
    runPulumiAsync(args, { cwd: clones[clone].dir, env: clones[clone].env, timeoutMs: 240_000 });

  before(async () => {
    moto = await startMoto();
    await moto.createBucket(BUCKET);
    port = await freeServicePort();
    root = tempDir("evidence-engine");
    for (const c of ["a", "b"] as const) {
      const dir = cloneProject(fs.mkdirSync(path.join(root, c), { recursive: true })!);
      // Separate state backends: only the bucket connects the two clones.
      clones[c] = { dir, env: engineEnv(path.join(root, `${c}-engine`), MOTO_ENV) };
      fs.writeFileSync(path.join(dir, `Pulumi.${STACK}.yaml`), stringify(stackFile()));
      const r = await pulumi(c, ["stack", "init", STACK]);
      assert.strictEqual(r.code, 0, r.output);
    }
  });

  after(async () => {
    for (const c of ["a", "b"] as const) {
      if (!clones[c]) continue;
      const r = await pulumi(c, ["destroy", "--stack", STACK, "--yes", "--skip-preview"]);
      if (r.code !== 0) console.error(r.output);
    }
    await moto?.stop();
    assert.ok(!(await portInUse(port)), "no dashboard left running");
    fs.rmSync(root, { recursive: true, force: true });
  });

  it("a failed up in clone A leaves its failure record in the bucket", async () => {
    const r = await pulumi("a", ["up", "--stack", STACK, "--yes", "--skip-preview"]);
    assert.notStrictEqual(r.code, 0, r.output);
    assert.match(r.output, /dashboard-page/);
    const records = Object.values(await moto.objects(BUCKET, `fleetgate/ledger/${STACK}/`)) as {
      kind: string;
      outcome: string;
      failure?: { gate: string };
      images: Record<string, string>;
    }[];
    const failed = records.filter((x) => x.kind === "deploy" && x.outcome === "failed");
    assert.strictEqual(failed.length, 1, JSON.stringify(records));
    assert.match(failed[0].failure!.gate, /smoke/);
    assert.deepStrictEqual(failed[0].images, { dashboard: "ghcr.io/fleetgate-demo/dashboard:1.2.0" });
  });

  it("the health checks run in clone A append monitor records to the bucket", async () => {
    for (let i = 0; i < 2; i++) {
      const r = await runAsync(
        path.join(clones.a.dir, "node_modules", ".bin", "ts-node"),
        ["--transpile-only", "scripts/run-checks.ts", "--stack", STACK],
        { cwd: clones.a.dir, env: clones.a.env },
      );
      assert.strictEqual(r.code, 1, r.output);
      assert.match(r.stdout, /appended a monitor record to s3:\/\//);
    }
    const records = Object.values(await moto.objects(BUCKET, `fleetgate/ledger/${STACK}/`)) as {
      kind: string;
    }[];
    assert.strictEqual(records.filter((x) => x.kind === "monitor").length, 2);
  });

  it("clone B, with no local ledger, is refused by the freeze computed from the bucket's records", async () => {
    assert.ok(!fs.existsSync(path.join(clones.b.dir, ".fleetgate", "ledger")), "clone B has no ledger file");
    const r = await pulumi("b", ["up", "--stack", STACK, "--yes", "--skip-preview"]);
    assert.notStrictEqual(r.code, 0, r.output);
    assert.match(
      r.output,
      /error-budget freeze on prod: availability over the last 1 days is 0 % \(2 of 2 monitor runs failed\)/,
    );
    assert.match(r.output, /dashboard: \(not deployed\) -> ghcr\.io\/fleetgate-demo\/dashboard:1\.2\.0/);
    // Refused before anything was registered: clone B started nothing.
    const state = await pulumi("b", ["stack", "export", "--stack", STACK]);
    assert.ok(!state.output.includes("dynamic/local:Service"), state.output);
  });
});
