/**
 * The README's main command, run as a user runs it: `bash scripts/up-local.sh` twice (the second
 * run changes nothing), then `bash scripts/down-local.sh`. It runs in a copy of the repository's
 * tracked files (what a fresh clone holds; node_modules linked) so it never touches the
 * developer's own `local` stack. The demo fleet listens on its documented loopback ports
 * (Pulumi.local.yaml), so this test fails with the script's own message if a local stack of this
 * machine already holds them.
 */
import * as assert from "assert";
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { REPO_ROOT, tempDir } from "../support/engine";

/** The demo gateway's documented port (Pulumi.local.yaml). */
const GATEWAY = "http://127.0.0.1:47100";

function run(dir: string, script: string): { code: number; output: string } {
  const r = spawnSync("bash", [path.join(dir, "scripts", script)], {
    cwd: dir,
    encoding: "utf8",
    env: { ...process.env, CI: "true" },
    timeout: 600_000,
  });
  return { code: r.status ?? -1, output: `${r.stdout}\n${r.stderr}` };
}

async function gatewayAnswers(): Promise<boolean> {
  return fetch(`${GATEWAY}/health`, { signal: AbortSignal.timeout(3000) }).then(
    (r) => r.ok,
    () => false,
  );
}

describe("the README's main command: scripts/up-local.sh, then scripts/down-local.sh", function () {
  this.timeout(900_000);
  let dir: string;
  let up = false;

  before(() => {
    dir = tempDir("main-command");
    const files = execFileSync("git", ["ls-files", "-z"], { cwd: REPO_ROOT, encoding: "utf8" })
      .split("\0")
      .filter((f) => f && fs.existsSync(path.join(REPO_ROOT, f)));
    for (const f of files) {
      const to = path.join(dir, f);
      fs.mkdirSync(path.dirname(to), { recursive: true });
      fs.copyFileSync(path.join(REPO_ROOT, f), to);
      fs.chmodSync(to, fs.statSync(path.join(REPO_ROOT, f)).mode);
    }
    fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(dir, "node_modules"));
  });

  after(() => {
    if (up) run(dir, "down-local.sh");
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("deploys the demo fleet and prints the check table; the gateway answers", async () => {
    const r = run(dir, "up-local.sh");
    up = true;
    assert.strictEqual(r.code, 0, r.output);
    assert.match(r.output, /Resources:\s+\+ \d+ created/, r.output);
    assert.match(r.output, /\b7\/7\b|7 passed/, r.output);
    assert.ok(await gatewayAnswers(), `${GATEWAY}/health does not answer after up-local.sh`);
  });

  it("a second run with no change changes nothing", () => {
    const r = run(dir, "up-local.sh");
    assert.strictEqual(r.code, 0, r.output);
    assert.match(r.output, /Resources:\s+\d+ unchanged/, r.output);
    assert.doesNotMatch(
      r.output,
      /Resources:[^\n]*\n(\s+[+~-] \d+ (created|updated|deleted|replaced))/,
      r.output,
    );
  });

  it("down-local.sh stops every process it started and frees the ports", async () => {
    const r = run(dir, "down-local.sh");
    up = r.code !== 0;
    assert.strictEqual(r.code, 0, r.output);
    assert.match(r.output, /no process of the local stack is left/, r.output);
    assert.ok(!(await gatewayAnswers()), `${GATEWAY} still answers after down-local.sh`);
  });
});
