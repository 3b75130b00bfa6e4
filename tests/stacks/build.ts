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
export { evaluatePack } from "../policies/util";
import { ExampleStack, validateExample } from "./support";

// Internal but stable: the drain `pulumi.runtime.disconnect` waits for, and the mock monitor.
const settings = require("@pulumi/pulumi/runtime/settings") as {
  waitForRPCs(): Promise<void>;
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
  const failures: string[] = [];
  const onRejection = (e: unknown) => failures.push(String((e as Error)?.message ?? e));
  process.on("unhandledRejection", onRejection);
  let fleet: Fleet;
  try {
    fleet = new Fleet(result.config.fleet.name, {
      config: result.config,
      secrets: {
        resolve: () => pulumi.secret("mock-secret-value"),
        value: (v) => (typeof v === "string" ? pulumi.output(v) : pulumi.secret("mock-secret-value")),
      },
    });
    await new Promise<void>((resolve) => pulumi.all([fleet.urn, fleet.serviceUrls]).apply(() => resolve()));
    await Promise.race([
      settings.waitForRPCs(),
      new Promise((resolve) => setTimeout(resolve, 60_000)).then(() =>
        failures.push("registrations did not finish within 60 s"),
      ),
    ]);
    await settled(() => registered.length);
  } finally {
    process.off("unhandledRejection", onRejection);
  }
  if (failures.length)
    assert.fail(`building the ${stack} Fleet failed:\n${[...new Set(failures)].join("\n")}`);
  for (const r of registered) r.dependsOn = deps.get(`${r.type}::${r.name}`) ?? [];
  return { config: result.config, fleet: fleet!, resources: registered };
}

/** Waits until no resource has been registered for a while (registrations are asynchronous). */
async function settled(count: () => number) {
  let last = -1;
  let stableFor = 0;
  while (stableFor < 300) {
    await new Promise((r) => setTimeout(r, 50));
    if (count() === last) stableFor += 50;
    else [last, stableFor] = [count(), 0];
  }
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
