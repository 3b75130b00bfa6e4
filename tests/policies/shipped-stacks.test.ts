/**
 * The shipped stacks pass the pack. The dev and prod stacks register aws/github resources whose
 * plugins do not exist here, so they cannot be previewed: instead the Fleet is built from the
 * parsed Pulumi.<stack>.yaml under `pulumi.runtime.setMocks` (secret keys assumed set), every
 * registered resource is collected, and the pack's policies run over them as the engine would
 * (resource policies per resource, stack policies over all).
 *
 * setMocks is process-global: this file sets it in before() and keeps to itself.
 */
import * as pulumi from "@pulumi/pulumi";
import * as assert from "assert";
import * as path from "path";
import { evaluatePack, FakeResource } from "./util";
import type { StackConfig } from "../../config/schema";
import { REPO_ROOT } from "../support/engine";

// Internal but stable: the same drain `pulumi.runtime.disconnect` waits for.
const settings = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> };

interface Registered extends FakeResource {
  name: string;
}

/** Builds the Fleet of a shipped stack under mocks and returns what it registered. */
async function registeredResources(
  stack: "dev" | "prod",
): Promise<{ resources: Registered[]; config: StackConfig }> {
  const registered: Registered[] = [];
  pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        // Dynamic resources carry their serialized provider; policies never read it.
        const props = { ...args.inputs };
        delete props.__provider;
        registered.push({ type: args.type, name: args.name, props });
        const state: Record<string, unknown> = { ...args.inputs };
        // Outputs the providers compute and the gates read: Render's URL of a service that serves HTTP.
        if (args.type.endsWith("render:Service") && args.inputs.serviceType !== "worker") {
          state.url = `https://${args.inputs.name}.onrender.com`;
        }
        if (args.type.endsWith(":EnvVarSet") || args.type.endsWith(":EnvFile")) state.foreignKeys = {};
        return { id: `${args.name}-id`, state };
      },
      call: (args) => ({ id: "1001", ...args.inputs }),
    },
    "fleetgate",
    stack,
    false,
  );
  // Loaded after setMocks so the components bind to the mocked runtime.
  const { Fleet } = await import("../../components/fleet");
  const { validateStackConfig } = await import("../../config/load");
  const { readStackFile } = await import("../../config/stack-file");
  const { isSecretRef } = await import("../../config/primitives");

  const file = readStackFile(path.join(REPO_ROOT, `Pulumi.${stack}.yaml`));
  const secretKeys = new Set<string>(file.context.secretKeys);
  collectSecretKeys(file.raw, secretKeys, isSecretRef);
  const result = validateStackConfig(file.raw, { secretKeys });
  if (!result.ok) assert.fail(`Pulumi.${stack}.yaml is invalid: ${JSON.stringify(result.issues, null, 2)}`);
  const fleet = new Fleet(result.config.fleet.name, {
    config: result.config,
    secrets: {
      resolve: () => pulumi.secret("mock-secret-value"),
      value: (v) => (typeof v === "string" ? pulumi.output(v) : pulumi.secret("mock-secret-value")),
    },
  });
  // Every registration is an RPC to the mock monitor: wait until the queue drains (dynamic
  // providers' closure serialization can take seconds), then until nothing new arrives. A
  // component that fails inside an apply leaves the queue hanging: report its error instead.
  const failures: string[] = [];
  const onRejection = (e: unknown) => failures.push(String((e as Error)?.message ?? e));
  process.on("unhandledRejection", onRejection);
  try {
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
  return { resources: registered, config: result.config };
}

/** Every `{ secret: key }` of the config counts as set (CI and operators set them). */
function collectSecretKeys(v: unknown, into: Set<string>, isRef: (x: unknown) => boolean) {
  if (isRef(v) && typeof v === "object" && v && "secret" in v)
    into.add(String((v as { secret: unknown }).secret));
  else if (Array.isArray(v)) v.forEach((x) => collectSecretKeys(x, into, isRef));
  else if (v && typeof v === "object") Object.values(v).forEach((x) => collectSecretKeys(x, into, isRef));
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

for (const stack of ["dev", "prod"] as const) {
  describe(`shipped stack ${stack} under the policy pack (mocks)`, function () {
    this.timeout(120_000);
    let resources: Registered[];
    let config: StackConfig;

    before(async () => {
      ({ resources, config } = await registeredResources(stack));
    });

    it("registers the resources the policies read", () => {
      const types = new Set(resources.map((r) => r.type));
      const expected = [
        "pulumi-nodejs:dynamic/render:Service",
        "pulumi-nodejs:dynamic/render:EnvVarSet",
        "pulumi-nodejs:dynamic/checks:SmokeSuite",
        "pulumi-nodejs:dynamic/checks:IntegritySnapshot",
        "pulumi-nodejs:dynamic/checks:IntegrityVerify",
        "aws:cloudwatch/metricAlarm:MetricAlarm",
        "github:index/repositoryEnvironment:RepositoryEnvironment",
      ];
      // Only the stack that manages the repository writes the workflow files.
      if (config.ci?.manageRepository) expected.push("github:index/repositoryFile:RepositoryFile");
      for (const t of expected) {
        assert.ok(types.has(t), `${stack} registers no ${t}; registered: ${[...types].sort().join(", ")}`);
      }
    });

    it("has no mandatory violation", async () => {
      const { mandatory } = await evaluatePack(resources);
      assert.deepStrictEqual(mandatory, []);
    });

    it("fails the pack once an image is made floating (the check can fail)", async () => {
      const broken = resources.map((r) =>
        r.type === "pulumi-nodejs:dynamic/render:Service" && r.props.name === "refapp-api"
          ? { ...r, props: { ...r.props, image: "ghcr.io/fleetgate-example/api:latest" } }
          : r,
      );
      const before = (await evaluatePack(resources)).mandatory;
      const added = (await evaluatePack(broken)).mandatory.filter((m) => !before.includes(m));
      assert.strictEqual(added.length, 1, added.join("\n"));
      assert.match(added[0], /\[pinned-images\] service "refapp-api" image .*tag "latest" is not pinned/);
    });
  });
}
