/**
 * One state backend for a team: two clones log in to the same self-managed S3 backend
 * (`pulumi login s3://…`, here moto_server on loopback). Both see one stack and one state; an
 * `up` from the second clone while the first one's `up` holds the stack is refused by the lock;
 * the second clone can destroy what the first deployed.
 */
import * as assert from "assert";
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import * as fs from "fs";
import * as path from "path";
import { stringify } from "yaml";
import { engineEnv, runPulumiAsync, tempDir } from "../support/engine";
import { freeServicePort, portInUse } from "../local/support";
import { cloneProject } from "./clones";
import { Moto, MOTO_ENV, startMoto } from "./moto";

const BUCKET = "fleetgate-state";
const STACK = "test-shared";

describe("evidence: a shared S3 state backend with locking (two clones, moto_server)", function () {
  this.timeout(600_000);
  let moto: Moto;
  let root: string;
  let port: number;
  let destroyed = false;
  const clones = {} as Record<"a" | "b", { dir: string; env: Record<string, string> }>;
  const pulumi = (c: "a" | "b", args: string[]) =>
    runPulumiAsync(args, { cwd: clones[c].dir, env: clones[c].env, timeoutMs: 240_000 });

  // scripts/test.sh exports a file backend for the suite; here each clone logs in instead.
  const savedBackend = process.env.PULUMI_BACKEND_URL;

  before(async () => {
    delete process.env.PULUMI_BACKEND_URL;
    moto = await startMoto();
    await moto.createBucket(BUCKET);
    port = await freeServicePort();
    root = tempDir("state-backend");
    const backend = `s3://${BUCKET}?endpoint=127.0.0.1:${moto.port}&disableSSL=true&s3ForcePathStyle=true&region=us-east-1`;
    for (const c of ["a", "b"] as const) {
      const dir = cloneProject(fs.mkdirSync(path.join(root, c), { recursive: true })!);
      const env: Record<string, string> = { ...engineEnv(path.join(root, `${c}-engine`), MOTO_ENV) };
      delete env.PULUMI_BACKEND_URL; // each person logs in (docs/evidence.md)
      clones[c] = { dir, env };
      const login = await pulumi(c, ["login", backend]);
      assert.strictEqual(login.code, 0, login.output);
    }
    const config = {
      config: {
        "fleetgate:platform": { kind: "local" },
        "fleetgate:fleet": {
          name: "shared",
          environment: "dev",
          services: [
            {
              name: "dashboard",
              type: "web",
              image: "ghcr.io/fleetgate-demo/dashboard:1.2.0",
              healthCheckPath: "/health",
              env: { APP_VERSION: "1.2.0", GATEWAY_URL: "http://127.0.0.1:9" },
              local: { command: ["node", "examples/demo/dashboard/server.js"], port },
            },
          ],
        },
      },
    };
    fs.writeFileSync(path.join(clones.a.dir, `Pulumi.${STACK}.yaml`), stringify(config));
    const init = await pulumi("a", ["stack", "init", STACK]);
    assert.strictEqual(init.code, 0, init.output);
    // The stack file (with its encryption salt) is committed; the other clone pulls it.
    fs.copyFileSync(
      path.join(clones.a.dir, `Pulumi.${STACK}.yaml`),
      path.join(clones.b.dir, `Pulumi.${STACK}.yaml`),
    );
  });

  after(async () => {
    if (savedBackend !== undefined) process.env.PULUMI_BACKEND_URL = savedBackend;
    if (clones.a && !destroyed) {
      const r = await pulumi("a", ["destroy", "--stack", STACK, "--yes", "--skip-preview"]);
      if (r.code !== 0) console.error(r.output);
    }
    await moto?.stop();
    assert.ok(!(await portInUse(port)), "no dashboard left running");
    fs.rmSync(root, { recursive: true, force: true });
  });

  it("clone A deploys; clone B sees the same stack and state from the bucket", async () => {
    const up = await pulumi("a", ["up", "--stack", STACK, "--yes", "--skip-preview"]);
    assert.strictEqual(up.code, 0, up.output);
    const keys = Object.keys(await moto.objects(BUCKET, ".pulumi/stacks/"));
    assert.ok(
      keys.some((k) => k.endsWith(`${STACK}.json`)),
      `state in the bucket: ${keys}`,
    );
    const ls = await pulumi("b", ["stack", "ls", "--json"]);
    const stacks = JSON.parse(ls.output) as { name: string; resourceCount?: number }[];
    const mine = stacks.find((s) => s.name.endsWith(STACK));
    assert.ok(mine && (mine.resourceCount ?? 0) > 1, ls.output);
    const outA = await pulumi("a", ["stack", "output", "--stack", STACK, "--json"]);
    const outB = await pulumi("b", ["stack", "output", "--stack", STACK, "--json"]);
    assert.deepStrictEqual(JSON.parse(outB.output), JSON.parse(outA.output));
    assert.strictEqual(JSON.parse(outB.output).serviceUrls.dashboard, `http://127.0.0.1:${port}`);
  });

  it("an up from clone B while clone A's up holds the stack is refused by the lock", async () => {
    const first = pulumi("a", ["up", "--stack", STACK, "--yes", "--skip-preview", "--refresh"]);
    // Bounded: wait until A's lock object is in the bucket, then start B.
    let locked = false;
    for (let i = 0; i < 200 && !locked; i++) {
      const list = await moto.client.send(
        new ListObjectsV2Command({ Bucket: BUCKET, Prefix: ".pulumi/locks/" }),
      );
      locked = (list.Contents ?? []).length > 0;
      if (!locked) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(locked, "clone A's up took the lock");
    const second = await pulumi("b", ["up", "--stack", STACK, "--yes", "--skip-preview"]);
    assert.notStrictEqual(second.code, 0, second.output);
    assert.match(second.output, /the stack is currently locked by 1 lock\(s\)/);
    const a = await first;
    assert.strictEqual(a.code, 0, a.output);
  });

  it("clone B destroys what clone A deployed (one state)", async () => {
    const r = await pulumi("b", ["destroy", "--stack", STACK, "--yes", "--skip-preview"]);
    assert.strictEqual(r.code, 0, r.output);
    destroyed = true;
    assert.ok(!(await portInUse(port)), "the dashboard clone A started is stopped");
  });
});
