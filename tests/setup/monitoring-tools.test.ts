/**
 * scripts/setup-monitoring.sh (run by scripts/setup.sh on the main command's path): installs
 * Debian's prometheus and prometheus-alertmanager with the shared apt helper when missing, and
 * where it cannot (no apt-get, a failed install) warns and switches the local stack's monitoring
 * off instead of failing. Runs the real script with a PATH of stand-ins: a fake `apt-get` that
 * records its arguments (and "installs" by creating the programs), so nothing is installed here.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { REPO_ROOT, tempDir } from "../support/engine";

const OFF = "export FLEETGATE_LOCAL_MONITORING=off";

/** A bin dir holding only the few programs the script needs, plus the given stand-ins. */
function sandbox(stubs: Record<string, string>): { bin: string; log: string } {
  const dir = tempDir("setup-monitoring");
  const bin = path.join(dir, "bin");
  fs.mkdirSync(bin);
  for (const tool of ["dirname", "id", "env", "chmod"]) {
    const real = spawnSync("bash", ["-c", `command -v ${tool}`], { encoding: "utf8" }).stdout.trim();
    fs.symlinkSync(real, path.join(bin, tool));
  }
  // When not root the helper goes through sudo; this stand-in allows it without a password.
  fs.writeFileSync(path.join(bin, "sudo"), '#!/bin/bash\n[ "$1" = -n ] && shift\nexec "$@"\n', {
    mode: 0o755,
  });
  const log = path.join(dir, "apt.log");
  for (const [name, body] of Object.entries(stubs))
    fs.writeFileSync(path.join(bin, name), `#!/bin/bash\n${body}\n`, { mode: 0o755 });
  return { bin, log };
}

function run(bin: string) {
  const r = spawnSync("/bin/bash", [path.join(REPO_ROOT, "scripts", "setup-monitoring.sh")], {
    env: { PATH: bin },
    encoding: "utf8",
    timeout: 30_000,
  });
  return { code: r.status, stdout: r.stdout.trim(), stderr: r.stderr };
}

/** An apt-get that logs each call and, on install, creates the named programs in its bin dir. */
const fakeApt = (log: string, exitCode = 0) =>
  [
    `echo "$*" >> ${log}`,
    `if [ "$1" = install ]; then`,
    `  [ ${exitCode} = 0 ] || { echo "E: Unable to locate package" >&2; exit ${exitCode}; }`,
    `  for p in "$@"; do case "$p" in prometheus*) echo '#!/bin/sh' > "$(dirname "$0")/$p"; chmod +x "$(dirname "$0")/$p";; esac; done`,
    `fi`,
  ].join("\n");

describe("setup-monitoring: Prometheus and Alertmanager for the local stack", function () {
  this.timeout(60_000);

  it("installs only the missing package with apt-get (update once, then install)", () => {
    const { bin, log } = sandbox({ prometheus: "exit 0" });
    fs.writeFileSync(path.join(bin, "apt-get"), `#!/bin/bash\n${fakeApt(log)}\n`, { mode: 0o755 });
    const r = run(bin);
    assert.strictEqual(r.code, 0, r.stderr);
    assert.strictEqual(r.stdout, "", "monitoring stays on");
    const calls = fs.readFileSync(log, "utf8").trim().split("\n");
    assert.deepStrictEqual(calls, [
      "update -qq",
      "install -y -qq --no-install-recommends prometheus-alertmanager",
    ]);
    assert.ok(fs.existsSync(path.join(bin, "prometheus-alertmanager")));
  });

  it("does nothing when both programs are there", () => {
    const { bin, log } = sandbox({ prometheus: "exit 0", "prometheus-alertmanager": "exit 0" });
    fs.writeFileSync(path.join(bin, "apt-get"), `#!/bin/bash\n${fakeApt(log)}\n`, { mode: 0o755 });
    const r = run(bin);
    assert.strictEqual(r.code, 0, r.stderr);
    assert.strictEqual(r.stdout, "");
    assert.strictEqual(r.stderr, "");
    assert.ok(!fs.existsSync(log), "apt-get was not called");
  });

  it("without apt-get (e.g. macOS): a warning, monitoring off, exit 0", () => {
    const { bin } = sandbox({});
    const r = run(bin);
    assert.strictEqual(r.code, 0, r.stderr);
    assert.strictEqual(r.stdout, OFF);
    assert.match(
      r.stderr,
      /WARNING: prometheus prometheus-alertmanager not installed and apt-get is not available/,
    );
    assert.match(r.stderr, /comes up without its own monitoring/);
  });

  it("a failed apt-get install: its message, a warning, monitoring off, exit 0", () => {
    const { bin, log } = sandbox({});
    fs.writeFileSync(path.join(bin, "apt-get"), `#!/bin/bash\n${fakeApt(log, 100)}\n`, { mode: 0o755 });
    const r = run(bin);
    assert.strictEqual(r.code, 0, r.stderr);
    assert.strictEqual(r.stdout, OFF);
    assert.match(r.stderr, /E: Unable to locate package/);
    assert.match(r.stderr, /WARNING: apt-get install prometheus prometheus-alertmanager failed/);
  });
});
