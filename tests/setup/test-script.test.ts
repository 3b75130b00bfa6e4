/**
 * scripts/test.sh's output (issue 18): each area's result line is printed as soon as the area
 * ends, with a running count, and the closing `N passed, N failed, N skipped` line is unchanged.
 * Runs the real script in a scratch copy of the repo layout with three tiny areas (one slow),
 * a stand-in setup and this clone's node_modules: no lint, engine or real suite.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { REPO_ROOT } from "../support/engine";

function write(file: string, text: string) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
}

describe("scripts/test.sh: results as areas end (issue 18)", function () {
  this.timeout(120_000);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "fg-testsh-"));

  after(() => fs.rmSync(root, { recursive: true, force: true }));

  it("prints each area's line when it ends, with a running count, and the total last", () => {
    write(path.join(root, "scripts", "setup.sh"), 'echo "export FLEETGATE_FAKE_SETUP=1"\n');
    write(path.join(root, "scripts", "pulumi-env.sh"), "\n");
    fs.copyFileSync(path.join(REPO_ROOT, "scripts", "test.sh"), path.join(root, "scripts", "test.sh"));
    for (const f of [".mocharc.json", "tsconfig.json"])
      fs.copyFileSync(path.join(REPO_ROOT, f), path.join(root, f));
    write(
      path.join(root, "tests", "support", "summary-reporter.js"),
      fs.readFileSync(path.join(REPO_ROOT, "tests", "support", "summary-reporter.js"), "utf8"),
    );
    fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(root, "node_modules"));
    // Area "aslow" starts first but ends last; "bfast" and "cfast" end while it runs.
    write(
      path.join(root, "tests", "aslow", "a.test.ts"),
      'it("slow", () => new Promise((r) => setTimeout(r, 6000)));\n',
    );
    write(path.join(root, "tests", "bfast", "b.test.ts"), 'it("one", () => {});\nit("two", () => {});\n');
    write(
      path.join(root, "tests", "cfast", "c.test.ts"),
      'it("fails", () => { throw new Error("boom"); });\nit.skip("later", () => {});\n',
    );
    const r = spawnSync("bash", ["scripts/test.sh", "--unit"], {
      cwd: root,
      encoding: "utf8",
      env: { ...process.env, FLEETGATE_TEST_JOBS: "2" },
      timeout: 110_000,
    });
    const lines = r.stdout.split("\n").filter(Boolean);
    const progress = lines.filter((l) => /^\[\d+\/3\] /.test(l));
    assert.deepStrictEqual(
      progress,
      [
        "[1/3] bfast: 2 passed, 0 failed, 0 skipped (so far: 2 passed, 0 failed, 0 skipped)",
        "[2/3] cfast: 0 passed, 1 failed, 1 skipped (so far: 2 passed, 1 failed, 1 skipped)",
        "[3/3] aslow: 1 passed, 0 failed, 0 skipped (so far: 3 passed, 1 failed, 1 skipped)",
      ],
      r.stdout + r.stderr,
    );
    assert.strictEqual(lines[lines.length - 1], "3 passed, 1 failed, 1 skipped");
    assert.notStrictEqual(r.status, 0, "a failed test fails the run");
  });
});
