/**
 * `pulumi-resource-fleetgate`: the entry point the launcher runs (compiled to bin/index.js). The
 * engine passes its address as an argument; the plugin answers on a loopback port it prints.
 */
import { serveProvider } from "./host";
import { version as VERSION } from "./package.json";
import { HANDLERS } from "./registry";
import { packageSchema } from "./schema";

serveProvider({ version: VERSION, handlers: HANDLERS, schema: () => packageSchema(VERSION, HANDLERS) }).catch(
  (e: Error) => {
    process.stderr.write(`pulumi-resource-fleetgate: ${e.message}\n`);
    process.exit(1);
  },
);
