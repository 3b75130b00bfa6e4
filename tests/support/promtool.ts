/**
 * promtool (Debian's `prometheus` package) for the rule tests: from PATH, or installed once
 * through the project's test-tool setup when missing.
 */
import { execFileSync, spawnSync } from "child_process";
import * as path from "path";
import { REPO_ROOT } from "./engine";

let found: string | undefined;

export function promtool(): string {
  if (found) return found;
  const onPath = spawnSync("bash", ["-c", "command -v promtool"], { encoding: "utf8" });
  if (onPath.status !== 0) {
    execFileSync("bash", [path.join(REPO_ROOT, "scripts", "setup-test-tools.sh")], {
      stdio: ["ignore", "ignore", "inherit"],
    });
  }
  found = execFileSync("bash", ["-c", "command -v promtool"], { encoding: "utf8" }).trim();
  return found;
}

/** Runs `promtool <args>` in `cwd`; never throws. */
export function runPromtool(args: string[], cwd: string): { code: number; output: string } {
  const r = spawnSync(promtool(), args, { cwd, encoding: "utf8" });
  return { code: r.status ?? 1, output: `${r.stdout}${r.stderr}` };
}
