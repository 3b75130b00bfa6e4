/**
 * The release loop through the real engine, on the local platform, with a real OCI registry on
 * loopback: two file-backend stacks of this project (`dev` and `prod` roles) share one backend.
 *
 * dev: `api` is pinned to an exact tag (resolved to its digest), `web` takes its image from the
 * release input (`fleetgate:releaseImages`, set with `pulumi config set` as the CI deploy job
 * does). prod: both services promoted from dev's `releasedImages` through a StackReference.
 * Steps share the stacks, in order; `after()` destroys both so no process survives.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { parse, stringify } from "yaml";
import { engineEnv, REPO_ROOT, runPulumi, tempDir } from "../support/engine";
import { freeServicePort, processAlive } from "../local/support";
import { pushBuild, startRegistry, TestRegistry } from "./support";

type Raw = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

interface ReleaseStack {
  stack: string;
  stateDir: string;
  config: Raw;
  write(): void;
  pulumi(args: string[]): { code: number; output: string };
  up(): { code: number; output: string };
  outputs(): Raw;
  /** The image the running process of `service` was deployed with, and its pid. */
  running(service: string): { image: string; pid: number };
  ledger(): Raw[];
  destroy(): void;
}

describe("release: build → digest → deploy → promote, through the engine", function () {
  this.timeout(600_000);
  let dir: string;
  let registry: TestRegistry;
  let env: Record<string, string>;
  const stacks: ReleaseStack[] = [];
  let dev: ReleaseStack;
  let prod: ReleaseStack;
  const digests: Record<string, string> = {};
  let apiRef: string;
  let webRef: string;

  async function releaseStack(role: string, release: Raw): Promise<ReleaseStack> {
    const stack = `test-rel-${role}-${path.basename(dir).slice(-6).toLowerCase()}`;
    const file = path.join(REPO_ROOT, `Pulumi.${stack}.yaml`);
    const stateDir = path.join(dir, `${role}-local`);
    const service = async (name: string, image: string) => ({
      name,
      type: "web",
      image,
      healthCheckPath: "/health",
      env: { APP_VERSION: "1.0.0", GATEWAY_URL: "http://127.0.0.1:9" },
      local: { command: ["node", "examples/demo/dashboard/server.js"], port: await freeServicePort() },
    });
    const config: Raw = {
      "fleetgate:platform": { kind: "local", stateDir },
      "fleetgate:fleet": {
        name: "rel",
        environment: role,
        services: [await service("api", apiRef), await service("web", webRef)],
      },
      "fleetgate:gates": { ledger: {} },
      "fleetgate:release": { insecureRegistries: [registry.host], ...release },
    };
    const pulumi = (args: string[]) => runPulumi(args, { cwd: REPO_ROOT, env, timeoutMs: 240_000 });
    const s: ReleaseStack = {
      stack,
      stateDir,
      config,
      write: () => {
        const current = fs.existsSync(file) ? (parse(fs.readFileSync(file, "utf8")) as Raw) : {};
        // Keep what `pulumi config set` wrote (the release input) beside the edited sections.
        fs.writeFileSync(file, stringify({ ...current, config: { ...(current.config ?? {}), ...config } }));
      },
      pulumi,
      up: () => pulumi(["up", "--stack", stack, "--yes", "--skip-preview"]),
      outputs: () => JSON.parse(pulumi(["stack", "output", "--stack", stack, "--json"]).output),
      running: (svc) => {
        const proc = JSON.parse(
          fs.readFileSync(path.join(stateDir, "services", svc, "process.json"), "utf8"),
        );
        const rec = JSON.parse(
          fs.readFileSync(path.join(stateDir, "services", svc, "deploys", `${proc.deployId}.json`), "utf8"),
        );
        return { image: rec.image, pid: proc.pid };
      },
      ledger: () =>
        fs
          .readFileSync(path.join(stateDir, "ledger.jsonl"), "utf8")
          .trim()
          .split("\n")
          .map((l) => JSON.parse(l)),
      destroy: () => {
        const pids = ["api", "web"].flatMap((svc) => {
          try {
            return [s.running(svc).pid];
          } catch {
            return [];
          }
        });
        const r = pulumi(["destroy", "--stack", stack, "--yes", "--skip-preview"]);
        if (r.code === 0) {
          pulumi(["stack", "rm", "--stack", stack, "--yes"]);
          fs.rmSync(file, { force: true });
        } else console.error(r.output);
        for (const pid of pids) if (processAlive(pid)) process.kill(-pid, "SIGKILL");
      },
    };
    s.write();
    const created = pulumi(["stack", "init", stack]);
    if (created.code !== 0) throw new Error(`cannot create stack ${stack}:\n${created.output}`);
    s.write();
    stacks.push(s);
    return s;
  }

  before(async () => {
    dir = tempDir("release-engine");
    registry = await startRegistry(dir);
    env = engineEnv(dir, { PULUMI_NODEJS_TRANSPILE_ONLY: "true" });
    apiRef = `${registry.host}/acme/api:1.4.2`;
    webRef = `${registry.host}/acme/web:2.0.0`;
    digests.api1 = pushBuild(dir, apiRef, "api build 1");
    digests.web1 = pushBuild(dir, webRef, "web build 1");
    dev = await releaseStack("dev", { services: ["web"] });
  });

  after(async () => {
    for (const s of stacks.reverse()) s.destroy();
    await registry?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("preview shows the digest an exact tag resolves to", () => {
    const r = dev.pulumi(["preview", "--stack", dev.stack, "--diff"]);
    assert.strictEqual(r.code, 0, r.output);
    assert.ok(r.output.includes(`${registry.host}/acme/api@${digests.api1}`), r.output);
  });

  it("up deploys every service by digest", async () => {
    const r = dev.up();
    assert.strictEqual(r.code, 0, r.output);
    assert.strictEqual(dev.running("api").image, `${registry.host}/acme/api@${digests.api1}`);
    // No release input yet: web's pinned tag, resolved.
    assert.strictEqual(dev.running("web").image, `${registry.host}/acme/web@${digests.web1}`);
    const res = await fetch(`${dev.outputs().serviceUrls.api}/health`);
    assert.strictEqual(res.status, 200);
    const rec = dev.ledger().at(-1)!;
    assert.strictEqual(rec.outcome, "succeeded");
    assert.strictEqual(rec.images.api, `${registry.host}/acme/api@${digests.api1}`);
    assert.strictEqual(rec.imageSources.api, `tag:${apiRef}`);
  });

  it("a re-pushed tag changes nothing that runs: same digest, same process, a warning", () => {
    const before = dev.running("api");
    digests.api2 = pushBuild(dir, apiRef, "api build 2 (re-pushed under the same tag)");
    assert.notStrictEqual(digests.api2, digests.api1);
    const r = dev.up();
    assert.strictEqual(r.code, 0, r.output);
    assert.match(r.output, /was re-pushed|the tag was re-pushed/);
    assert.ok(r.output.includes(digests.api2), "the warning names the new digest");
    assert.deepStrictEqual(dev.running("api"), before);
    assert.strictEqual(dev.outputs().releasedImages.api, `${registry.host}/acme/api@${digests.api1}`);
  });

  it("a digest from the release input (pulumi config set, as the CI job does) is deployed", () => {
    digests.web2 = pushBuild(dir, `${registry.host}/acme/web:build-2`, "web build 2");
    const input = { web: `${registry.host}/acme/web@${digests.web2}` };
    const set = dev.pulumi([
      "config",
      "set",
      "--stack",
      dev.stack,
      "fleetgate:releaseImages",
      JSON.stringify(input),
    ]);
    assert.strictEqual(set.code, 0, set.output);
    const apiBefore = dev.running("api");
    const r = dev.up();
    assert.strictEqual(r.code, 0, r.output);
    assert.strictEqual(dev.running("web").image, input.web);
    assert.deepStrictEqual(dev.running("api"), apiBefore, "api untouched");
    const rec = dev.ledger().at(-1)!;
    assert.strictEqual(rec.images.web, input.web);
    assert.strictEqual(rec.imageSources.web, "release-input");
    assert.deepStrictEqual(dev.outputs().releasedImages, {
      api: `${registry.host}/acme/api@${digests.api1}`,
      web: input.web,
    });
  });

  it("refresh finds no drift and another up changes nothing: the kept digests stay", () => {
    const before = { api: dev.running("api"), web: dev.running("web") };
    const refreshed = dev.pulumi(["refresh", "--stack", dev.stack, "--yes", "--skip-preview"]);
    assert.strictEqual(refreshed.code, 0, refreshed.output);
    const r = dev.up();
    assert.strictEqual(r.code, 0, r.output);
    assert.doesNotMatch(r.output, /release:TagDigest\s+\S+\s+updated/, r.output);
    assert.deepStrictEqual({ api: dev.running("api"), web: dev.running("web") }, before);
    assert.strictEqual(dev.outputs().releasedImages.api, `${registry.host}/acme/api@${digests.api1}`);
  });

  it("prod promotes dev's released digests through a StackReference and records where they came from", async () => {
    prod = await releaseStack("prod", { services: ["api", "web"], promoteFrom: { stack: dev.stack } });
    const preview = prod.pulumi(["preview", "--stack", prod.stack, "--diff"]);
    assert.strictEqual(preview.code, 0, preview.output);
    assert.ok(
      preview.output.includes(`${registry.host}/acme/web@${digests.web2}`),
      "preview shows the promoted digest",
    );
    const r = prod.up();
    assert.strictEqual(r.code, 0, r.output);
    // api:1.4.2 now points at build 2 in the registry; prod runs what passed dev: build 1.
    assert.strictEqual(prod.running("api").image, `${registry.host}/acme/api@${digests.api1}`);
    assert.strictEqual(prod.running("web").image, `${registry.host}/acme/web@${digests.web2}`);
    const rec = prod.ledger().at(-1)!;
    assert.deepStrictEqual(rec.imageSources, { api: `promoted:${dev.stack}`, web: `promoted:${dev.stack}` });
    assert.strictEqual(rec.images.web, `${registry.host}/acme/web@${digests.web2}`);
  });

  it("a dev update whose gate fails releases nothing: prod keeps promoting the last passing digests", () => {
    digests.web3 = pushBuild(dir, `${registry.host}/acme/web:build-3`, "web build 3");
    const input = { web: `${registry.host}/acme/web@${digests.web3}` };
    dev.pulumi(["config", "set", "--stack", dev.stack, "fleetgate:releaseImages", JSON.stringify(input)]);
    dev.config["fleetgate:gates"].smoke = {
      retries: 0,
      checks: [
        {
          name: "web-version",
          kind: "json",
          target: "web",
          path: "/health",
          field: "version",
          equals: "9.9.9",
        },
      ],
    };
    dev.write();
    const failed = dev.up();
    assert.notStrictEqual(failed.code, 0, failed.output);
    assert.strictEqual(dev.running("web").image, input.web, "the failing build was deployed in dev");
    assert.strictEqual(dev.outputs().releasedImages.web, `${registry.host}/acme/web@${digests.web2}`);
    const r = prod.up();
    assert.strictEqual(r.code, 0, r.output);
    assert.strictEqual(prod.running("web").image, `${registry.host}/acme/web@${digests.web2}`);
  });

  it("destroy stops every process of both stacks", () => {
    const pids = [prod, dev].flatMap((s) => ["api", "web"].map((svc) => s.running(svc).pid));
    for (const s of [prod, dev]) {
      const r = s.pulumi(["destroy", "--stack", s.stack, "--yes", "--skip-preview"]);
      assert.strictEqual(r.code, 0, r.output);
    }
    for (const pid of pids) assert.ok(!processAlive(pid), `pid ${pid} still runs`);
  });
});
