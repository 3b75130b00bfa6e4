/**
 * The pack through the real engine: `pulumi preview --policy-pack policies` of an inline stack
 * that registers a Render service with `api:latest` fails with the pinned-images message; the
 * same stack with a pinned image passes; the pack config can lower the level to advisory.
 */
import * as pulumi from "@pulumi/pulumi";
import { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { engineBinDir, engineEnv, REPO_ROOT, tempDir } from "../support/engine";

const POLICY_PACK = path.join(REPO_ROOT, "policies");

// Create/diff do nothing harmful; preview calls neither create nor the service.
const inertProvider: pulumi.dynamic.ResourceProvider = {
  async create(inputs) {
    return { id: String(inputs.name ?? "x"), outs: inputs };
  },
};

class FakeDynamic extends pulumi.dynamic.Resource {
  constructor(module: string, type: string, name: string, props: Record<string, unknown>) {
    super(inertProvider, name, props, {}, module, type);
  }
}

describe("policy pack through the real engine (pulumi preview --policy-pack)", function () {
  this.timeout(240_000);
  let dir: string;
  let stack: Stack;
  let image = "api:latest";

  before(async () => {
    dir = tempDir("policy-engine");
    // The Automation API looks the CLI up on this process's PATH, not in envVars.
    process.env.PATH = `${engineBinDir()}${path.delimiter}${process.env.PATH ?? ""}`;
    const program = async () => {
      // A worker: public services would also need a service-down alarm, an AWS resource that
      // cannot be registered without the aws plugin (the alarm rule is covered by the SDK tests).
      new FakeDynamic("render", "Service", "api", {
        name: "api",
        serviceType: "worker",
        image,
        public: false,
      });
      new FakeDynamic("checks", "SmokeSuite", "smoke", { targets: ["api"], revision: "r1" });
    };
    stack = await LocalWorkspace.createOrSelectStack(
      { stackName: "policytest", projectName: "fleetgate-policy-test", program },
      { envVars: engineEnv(dir) },
    );
  });

  after(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("fails preview of a service with api:latest, naming the policy and the fix", async () => {
    image = "api:latest";
    await assert.rejects(stack.preview({ policyPacks: [POLICY_PACK] }), (e: Error) => {
      assert.match(e.message, /pinned-images/);
      assert.match(e.message, /service "api" image "api:latest": tag "latest" is not pinned/);
      assert.match(e.message, /mandatory/);
      return true;
    });
  });

  it("passes preview when the image is pinned, with the example pack config accepted by the engine", async () => {
    image = "ghcr.io/fleetgate-example/api:1.8.3";
    const example = path.join(POLICY_PACK, "config.example.json");
    const result = await stack.preview({ policyPacks: [POLICY_PACK], policyPackConfigs: [example] });
    assert.doesNotMatch(result.stdout, /pinned-images/);
  });

  it("honours --policy-pack-config: pinned-images lowered to advisory only warns", async () => {
    image = "api:latest";
    const cfg = path.join(dir, "policy-config.json");
    fs.writeFileSync(cfg, JSON.stringify({ "pinned-images": "advisory" }));
    const result = await stack.preview({ policyPacks: [POLICY_PACK], policyPackConfigs: [cfg] });
    assert.match(result.stdout, /advisory/);
    assert.match(result.stdout, /tag "latest" is not pinned/);
  });
});
