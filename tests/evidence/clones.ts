/**
 * "Clones" of this project for the evidence and state-backend tests: copies of the working
 * tree (tracked and new files, as `git ls-files` lists them) in temp dirs, sharing this
 * checkout's node_modules. Each clone has its own files (its own local ledger, its own
 * .fleetgate), like two people's checkouts or two CI runners.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { REPO_ROOT } from "../support/engine";

export function cloneProject(dir: string): string {
  const files = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
    cwd: REPO_ROOT,
    encoding: "utf8",
  })
    .split("\0")
    .filter((f) => f && !/^Pulumi\.(?!yaml$)/.test(f));
  for (const f of files) {
    const from = path.join(REPO_ROOT, f);
    if (!fs.existsSync(from)) continue; // deleted in the work tree
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    fs.copyFileSync(from, path.join(dir, f));
  }
  fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(dir, "node_modules"));
  return dir;
}
