/**
 * amtool (Debian's `prometheus-alertmanager` package) for the Alertmanager config tests: from
 * PATH, or installed once through the project's test-tool setup when missing.
 */
import { execFileSync, spawnSync } from "child_process";
import * as path from "path";
import { REPO_ROOT } from "../support/engine";

function onPath(tool: string): string | undefined {
  const r = spawnSync("bash", ["-c", `command -v ${tool}`], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/** Path of a tool the test-tool setup installs (amtool, prometheus-alertmanager, prometheus). */
export function testTool(tool: string): string {
  const found = onPath(tool);
  if (found) return found;
  execFileSync("bash", [path.join(REPO_ROOT, "scripts", "setup-test-tools.sh")], {
    stdio: ["ignore", "ignore", "inherit"],
  });
  const installed = onPath(tool);
  if (!installed) throw new Error(`${tool} is not installed; run bash scripts/setup-test-tools.sh`);
  return installed;
}

/** Runs `amtool <args>` in `cwd`; never throws. */
export function runAmtool(args: string[], cwd: string): { code: number; output: string } {
  const r = spawnSync(testTool("amtool"), args, { cwd, encoding: "utf8" });
  return { code: r.status ?? 1, output: `${r.stdout}${r.stderr}` };
}
