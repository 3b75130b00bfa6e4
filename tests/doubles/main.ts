/**
 * Entry point of the compiled doubles: `node doubles.js <pkg> [engine args]`, started by the
 * `pulumi-resource-<pkg>` wrappers build.ts writes. The packages root and the log file come
 * from the environment the tests give their own CLI runs.
 */
import * as fs from "fs";
import * as path from "path";
import * as provider from "@pulumi/pulumi/provider";
import { doubleProvider } from "./provider";

const [pkg, ...args] = process.argv.slice(2);
const packagesRoot = process.env.FLEETGATE_DOUBLES_PACKAGES;
if (!packagesRoot) {
  console.error("FLEETGATE_DOUBLES_PACKAGES is not set: the doubles run only inside the tests' CLI runs");
  process.exit(1);
}
// Report the npm package's version, as the real plugin of that release would.
const { version } = JSON.parse(fs.readFileSync(path.join(packagesRoot, pkg, "package.json"), "utf8")) as {
  version: string;
};
provider.main(
  { ...doubleProvider({ pkg, packagesRoot, logFile: process.env.FLEETGATE_DOUBLES_LOG }), version },
  args,
);
