/**
 * Bundles the monitor's Lambda handler (lambda/monitor/index.ts and the shared check library it
 * imports) into one CommonJS file with esbuild. The AWS SDK is left out: the Lambda Node.js
 * runtime provides it. The output is deterministic, so an unchanged handler is no diff.
 */
import * as path from "path";

const REPO_ROOT = path.resolve(__dirname, "..", "..");
export const MONITOR_ENTRY = path.join(REPO_ROOT, "lambda", "monitor", "index.ts");
export const MONITOR_NODE_TARGET = "node20";

let cached: string | undefined;

export function bundleMonitorHandler(): string {
  if (cached === undefined) {
    const esbuild = require("esbuild") as typeof import("esbuild");
    const result = esbuild.buildSync({
      entryPoints: [MONITOR_ENTRY],
      // Paths in the bundle's comments are relative to this: same bundle from any cwd.
      absWorkingDir: REPO_ROOT,
      bundle: true,
      platform: "node",
      target: MONITOR_NODE_TARGET,
      format: "cjs",
      external: ["@aws-sdk/*"],
      write: false,
      legalComments: "none",
      logLevel: "silent",
    });
    cached = result.outputFiles[0].text;
  }
  return cached;
}
