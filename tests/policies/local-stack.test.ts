/**
 * The shipped local stack passes the pack through the real engine:
 * `pulumi preview --stack local --policy-pack policies` of the project itself. It runs in a temp
 * copy of the project (symlinks to the sources, copies of the Pulumi files) with its own file
 * backend, so it never touches the repo's stacks, state or stack files.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { engineEnv, REPO_ROOT, runPulumi, tempDir } from "../support/engine";

/** Project entries the program needs at run time, linked into the temp copy. */
const LINKED = [
  "index.ts",
  "package.json",
  "tsconfig.json",
  "node_modules",
  "config",
  "components",
  "providers",
  "lib",
  "examples",
  "lambda",
  // Pulumi.yaml loads the fleetgate plugin from ./provider.
  "provider",
];
/** Files the engine may write to (stack config gets an encryption salt): copied. */
const COPIED = ["Pulumi.yaml", "Pulumi.local.yaml"];

describe("shipped local stack: pulumi preview --policy-pack policies (real engine)", function () {
  this.timeout(300_000);
  let dir: string;
  let project: string;
  let env: Record<string, string>;

  before(function () {
    if (!fs.existsSync(path.join(REPO_ROOT, "Pulumi.local.yaml"))) {
      assert.fail("Pulumi.local.yaml is missing: the local stack is part of the shipped stacks");
    }
    dir = tempDir("policy-local");
    project = path.join(dir, "project");
    fs.mkdirSync(project);
    for (const entry of LINKED) {
      if (fs.existsSync(path.join(REPO_ROOT, entry)))
        fs.symlinkSync(path.join(REPO_ROOT, entry), path.join(project, entry));
    }
    for (const file of COPIED) fs.copyFileSync(path.join(REPO_ROOT, file), path.join(project, file));
    // The local stack's documented demo passphrase (scripts/up-local.sh).
    // The program is only transpiled (tsc checks it elsewhere); the pack is still type-checked.
    env = engineEnv(dir, {
      PULUMI_CONFIG_PASSPHRASE: "fleetgate-local-demo-only",
      PULUMI_NODEJS_TRANSPILE_ONLY: "true",
    });
    const init = runPulumi(["stack", "init", "local"], { cwd: project, env });
    assert.strictEqual(init.code, 0, init.output);
  });

  after(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("passes every policy of the pack", () => {
    const res = runPulumi(
      ["preview", "--stack", "local", "--policy-pack", path.join(REPO_ROOT, "policies")],
      {
        cwd: project,
        env,
      },
    );
    assert.strictEqual(res.code, 0, res.output);
    assert.match(res.output, /fleetgate@v0\.1\.0/);
    // The policies had something to check: services, env files and both gates.
    for (const type of [
      "local:Service",
      "local:EnvFile",
      "checks:SmokeSuite",
      "checks:IntegritySnapshot",
      "checks:IntegrityVerify",
    ]) {
      assert.match(res.output, new RegExp(`pulumi-nodejs:dynamic/${type}`), `preview registers no ${type}`);
    }
    assert.doesNotMatch(res.output, /\[mandatory\]/);
  });
});
