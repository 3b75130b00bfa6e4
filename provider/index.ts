/**
 * `pulumi-resource-fleetgate`: the entry point the launcher runs (compiled to bin/index.js). The
 * engine passes its address as an argument; the plugin answers on a loopback port it prints.
 */
import { serveProvider } from "./host";
import { HANDLERS } from "./registry";
import { packageSchema } from "./schema";

// Kept in step with provider/package.json by tests/render/plugin.test.ts.
export const VERSION = "0.1.0";

serveProvider({ version: VERSION, handlers: HANDLERS, schema: () => packageSchema(VERSION, HANDLERS) }).catch(
  (e: Error) => {
    process.stderr.write(`pulumi-resource-fleetgate: ${e.message}\n`);
    process.exit(1);
  },
);
