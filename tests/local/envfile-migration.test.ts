/**
 * Upgrading a local stack from per-set env files (one `local:EnvFile` per env-var set, the
 * earlier design) to per-service env files, through the engine: the old resources are taken
 * over in place (aliases), never deleted, so no declared key leaves a service's file, not even
 * for the rest of the `up` (a delete of an old set would remove the keys it owned).
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { Fleet } from "../../components/fleet";
import { validateStackConfig } from "../../config/load";
import { envFilePath, readEnvFile, readProcessRecord } from "../../providers/local/files";
import { EnvFile } from "../../providers/local/envfile";
import { engineBinDir, engineEnv, REPO_ROOT, tempDir } from "../support/engine";
import { freeServicePort, processAlive } from "./support";

class OldFleet extends pulumi.ComponentResource {
  constructor(name: string) {
    super("fleetgate:fleet:Fleet", name, {}, {});
  }
}

describe("local env files: upgrade from per-set to per-service files through the engine", function () {
  this.timeout(300_000);
  this.bail(true);
  let dir: string;
  let stack: Stack;
  let phase: "old" | "new" = "old";
  const ports: Record<string, number> = {};
  const stateDir = () => path.join(dir, "local");
  const envOf = (svc: string) => readEnvFile(envFilePath(stateDir(), svc)) ?? {};

  before(async () => {
    if (!(process.env.PATH ?? "").split(path.delimiter).includes(engineBinDir())) {
      process.env.PATH = `${engineBinDir()}${path.delimiter}${process.env.PATH ?? ""}`;
    }
    assert.strictEqual(process.cwd(), REPO_ROOT, "run mocha from the project root");
    dir = tempDir("envfile-migration");
    for (const s of ["api", "web", "jobs"]) ports[s] = await freeServicePort();
    const program = async () => {
      if (phase === "old") {
        // What an earlier fleetgate registered: one env file resource per set.
        const parent = new OldFleet("mig");
        const old = (setName: string, values: Record<string, Record<string, string>>) =>
          new EnvFile(
            `mig-env-${setName}`,
            {
              setName,
              services: Object.keys(values),
              environment: "test",
              keys: [...new Set(Object.values(values).flatMap(Object.keys))].sort(),
              plainKeys: [],
              values,
              stateDir: stateDir(),
            },
            { parent },
          );
        old("core", { api: { MODE: "demo", SHARED: "1" }, web: { MODE: "demo", SHARED: "1" } });
        old("jobs", { jobs: { QUEUE: "q" } });
        return {};
      }
      const service = (name: string, type: string, env: Record<string, string> = {}) => ({
        name,
        type,
        image: `ghcr.io/mig/${name}:1.0.0`,
        ...(type === "worker" ? {} : { healthCheckPath: "/health" }),
        env,
        local: {
          command: ["node", "tests/daytwo/fixtures/svc.js"],
          port: ports[name],
          startTimeoutSeconds: 5,
        },
      });
      const raw = {
        platform: { kind: "local", stateDir: stateDir() },
        fleet: {
          name: "mig",
          environment: "test",
          services: [service("api", "web"), service("web", "web"), service("jobs", "worker", { QUEUE: "q" })],
          envSets: [{ name: "core", services: ["api", "web"], vars: { MODE: "demo", SHARED: "1" } }],
        },
        gates: {},
      };
      const r = validateStackConfig(raw, { secretKeys: new Set() });
      if (!r.ok) throw new Error(JSON.stringify(r.issues));
      new Fleet("mig", { config: r.config });
      return {};
    };
    stack = await LocalWorkspace.createOrSelectStack(
      { stackName: "test", projectName: "envfile-migration", program },
      { envVars: engineEnv(dir) },
    );
  });

  after(async () => {
    if (!stack) return;
    const pids = ["api", "web", "jobs"].map((s) => (dir ? readProcessRecord(stateDir(), s)?.pid : 0));
    await stack.destroy().catch((e) => console.error(String(e)));
    for (const pid of pids) if (pid && processAlive(pid)) process.kill(-pid, "SIGKILL");
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("the upgrade takes the per-set resources over in place and every declared key stays", async () => {
    await stack.up();
    assert.deepStrictEqual(envOf("web"), { MODE: "demo", SHARED: "1" });
    phase = "new";
    const res = await stack.up();
    const ops = res.summary.resourceChanges ?? {};
    assert.ok(!ops.delete, `nothing deleted: ${JSON.stringify(ops)}`);
    assert.deepStrictEqual(envOf("api"), { MODE: "demo", SHARED: "1" });
    assert.deepStrictEqual(envOf("web"), { MODE: "demo", SHARED: "1" });
    assert.deepStrictEqual(envOf("jobs"), { QUEUE: "q" });
    const names = ((await stack.exportStack()).deployment.resources as { type: string; urn: string }[])
      .filter((r) => r.type === "pulumi-nodejs:dynamic/local:EnvFile")
      .map((r) => r.urn.split("::").pop())
      .sort();
    assert.deepStrictEqual(names, ["mig-api-env", "mig-jobs-env", "mig-web-env"]);
    // A second up changes nothing: the files match the declaration.
    const again = await stack.up();
    assert.deepStrictEqual(
      Object.keys(again.summary.resourceChanges ?? {}).filter((k) => k !== "same"),
      [],
      JSON.stringify(again.summary.resourceChanges),
    );
  });
});
