/**
 * Builds the real Fleet of an example stack under `pulumi.runtime.setMocks` and collects what
 * it registers: each resource's type, name and inputs, and the URNs it depends on (read from the
 * registration request, so `dependsOn` order can be asserted). Then runs the policy pack's
 * policies over the registered resources as the engine would.
 *
 * setMocks is process-global: the test file that calls `buildExample` keeps to itself.
 */
import * as pulumi from "@pulumi/pulumi";
import * as assert from "assert";
import type { Fleet } from "../../components/fleet";
import type { StackConfig } from "../../config/schema";
import { FakeResource } from "../policies/util";
import { buildFleetUnderMocks } from "../support/mocks";
export { evaluatePack } from "../policies/util";
import { ExampleStack, validateExample } from "./support";

// Internal but stable: the mock monitor, to record each registration's dependencies.
const settings = require("@pulumi/pulumi/runtime/settings") as {
  getMonitor(): { registerResource: (req: RegisterRequest, cb: unknown) => unknown };
};

interface RegisterRequest {
  getType(): string;
  getName(): string;
  getDependenciesList(): string[];
}

export interface Registered extends FakeResource {
  name: string;
  /** Names (last URN segment) of the resources this one was registered to depend on. */
  dependsOn: string[];
}

export interface BuiltExample {
  config: StackConfig;
  fleet: Fleet;
  resources: Registered[];
}

const nameOfUrn = (urn: string) => urn.slice(urn.lastIndexOf("::") + 2);

export async function buildExample(stack: ExampleStack): Promise<BuiltExample> {
  const registered: Registered[] = [];
  const deps = new Map<string, string[]>();
  pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        const props = { ...args.inputs };
        delete props.__provider; // dynamic resources' serialized provider; policies never read it
        registered.push({ type: args.type, name: args.name, props, dependsOn: [] });
        const state: Record<string, unknown> = { ...args.inputs };
        if (args.type.endsWith("render:Service") && args.inputs.serviceType === "web") {
          state.url = `https://${args.inputs.name}.onrender.com`;
        }
        if (args.type.endsWith(":EnvVarSet")) state.foreignKeys = {};
        return { id: `${args.name}-id`, state };
      },
      call: (args) => ({ id: "1001", ...args.inputs }),
    },
    "fleetgate",
    stack,
    false,
  );
  const monitor = settings.getMonitor();
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, cb) => {
    deps.set(`${req.getType()}::${req.getName()}`, req.getDependenciesList().map(nameOfUrn));
    return register(req, cb);
  };

  // Loaded after setMocks so the components bind to the mocked runtime.
  const { Fleet } = await import("../../components/fleet");
  const result = validateExample(stack);
  if (!result.ok) assert.fail(`${stack} is invalid: ${JSON.stringify(result.issues, null, 2)}`);
  const fleet = await buildFleetUnderMocks(Fleet, result.config, () => registered.length, stack);
  for (const r of registered) r.dependsOn = deps.get(`${r.type}::${r.name}`) ?? [];
  return { config: result.config, fleet, resources: registered };
}

/** Resources of one type (the type's tail is enough, e.g. `render:Service`). */
export function ofType(resources: Registered[], typeTail: string): Registered[] {
  return resources.filter((r) => r.type === typeTail || r.type.endsWith(typeTail));
}

/** The one resource with this name and type tail. */
export function named(resources: Registered[], typeTail: string, name: string): Registered {
  const found = ofType(resources, typeTail).filter((r) => r.name === name);
  assert.strictEqual(
    found.length,
    1,
    `expected one ${typeTail} named ${name}; have: ${ofType(resources, typeTail)
      .map((r) => r.name)
      .join(", ")}`,
  );
  return found[0];
}
