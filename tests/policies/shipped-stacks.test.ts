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
import { referencedSecretKeys, type StackConfig } from "../../config/schema";
import { REPO_ROOT } from "../support/engine";
import { buildFleetUnderMocks } from "../support/mocks";

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

  const file = readStackFile(path.join(REPO_ROOT, `Pulumi.${stack}.yaml`));
  // Every `{ secret: key }` of the config counts as set (CI and operators set them).
  const secretKeys = new Set([...file.context.secretKeys, ...referencedSecretKeys(file.raw)]);
  const result = validateStackConfig(file.raw, { secretKeys });
  if (!result.ok) assert.fail(`Pulumi.${stack}.yaml is invalid: ${JSON.stringify(result.issues, null, 2)}`);
  await buildFleetUnderMocks(Fleet, result.config, () => registered.length, stack);
  return { resources: registered, config: result.config };
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
        "fleetgate:render:Service",
        "fleetgate:render:EnvVars",
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
        r.type === "fleetgate:render:Service" && r.props.name === "refapp-api"
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
