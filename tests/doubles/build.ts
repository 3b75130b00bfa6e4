/**
 * Builds the provider doubles once per test run: esbuild bundles tests/doubles/main.ts into a
 * cache directory keyed by the sources' hash, beside one `pulumi-resource-<pkg>` wrapper per
 * package. Only the tests' own CLI runs get that directory on their PATH (`doublesEnv`); it is
 * never on a user's PATH.
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export const DOUBLE_PACKAGES = ["aws", "github", "random", "docker"] as const;

const REPO_ROOT = path.resolve(__dirname, "..", "..");
let built: string | undefined;

/** The directory holding the `pulumi-resource-<pkg>` doubles; builds them when the sources changed. */
export function buildDoubles(): string {
  if (built) return built;
  const sources = fs
    .readdirSync(__dirname)
    .filter((f) => f.endsWith(".ts"))
    .sort();
  const hash = createHash("sha256");
  for (const f of sources) hash.update(f).update(fs.readFileSync(path.join(__dirname, f)));
  hash.update(REPO_ROOT);
  const dir = path.join(os.tmpdir(), `fleetgate-doubles-${hash.digest("hex").slice(0, 16)}`);
  if (!fs.existsSync(path.join(dir, "ready"))) {
    // Build beside, then rename: two test processes may build at once.
    const tmp = fs.mkdtempSync(`${dir}-build-`);
    const esbuild = require("esbuild") as typeof import("esbuild");
    const bundle = path.join(tmp, "doubles.js");
    esbuild.buildSync({
      entryPoints: [path.join(__dirname, "main.ts")],
      bundle: true,
      platform: "node",
      target: "node20",
      format: "cjs",
      // The SDK and its gRPC stack load from the repo's node_modules (NODE_PATH in the wrapper).
      packages: "external",
      outfile: bundle,
      logLevel: "error",
    });
    const finalBundle = path.join(dir, "doubles.js");
    for (const pkg of DOUBLE_PACKAGES) {
      fs.writeFileSync(
        path.join(tmp, `pulumi-resource-${pkg}`),
        `#!/bin/sh\nNODE_PATH='${path.join(REPO_ROOT, "node_modules")}' exec node '${finalBundle}' ${pkg} "$@"\n`,
        { mode: 0o755 },
      );
    }
    fs.writeFileSync(path.join(tmp, "ready"), new Date().toISOString());
    try {
      fs.renameSync(tmp, dir);
    } catch {
      // Another process finished first: use its build.
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }
  built = dir;
  return dir;
}

/**
 * Environment entries that make a CLI run use the doubles: their directory first on PATH, the
 * packages root they read schemas from, and the call log they append to.
 */
export function doublesEnv(basePath: string, logFile: string): Record<string, string> {
  return {
    PATH: `${buildDoubles()}${path.delimiter}${basePath}`,
    FLEETGATE_DOUBLES_PACKAGES: path.join(REPO_ROOT, "node_modules", "@pulumi"),
    FLEETGATE_DOUBLES_LOG: logFile,
  };
}
