/**
 * The CiPipeline's GitHub resources under pulumi.runtime.setMocks (no GitHub provider plugin
 * exists here): workflow files, the stack's environment with reviewers and wait timer, branch
 * protection requiring the gate checks, secrets and variables in the right scope.
 * setMocks is process-global: this file sets it in before() and builds everything itself.
 */
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import type { CiPipeline as CiPipelineType } from "../../components/ci";
import type { SecretResolver } from "../../components/secrets";
import { CiConfig } from "../../config/ci";
import { SecretRef } from "../../config/primitives";
import { stackConfigOf } from "./support";

interface Registered {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
  provider?: string;
}

const registered: Registered[] = [];
const invokes: { token: string; args: Record<string, unknown> }[] = [];
const USER_IDS: Record<string, string> = { "fleetgate-lead": "5501" };
const TEAM_IDS: Record<string, string> = { "platform-leads": "7702" };

/** Resolves secret references to recognisable fake values, marked secret like the real resolver. */
const fakeSecrets: SecretResolver = {
  resolve: (ref: SecretRef) =>
    pulumi.secret("secret" in ref ? `value-of-${ref.secret}` : `generated-${ref.generated}`),
  value: (v) => (typeof v === "string" ? pulumi.output(v) : fakeSecrets.resolve(v)),
};

function settle<T>(o: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => o.apply(resolve));
}

let CiPipeline: typeof CiPipelineType;

// Internal but stable: the drain `pulumi.runtime.disconnect` waits for.
const { waitForRPCs } = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> };

async function build(
  ci: CiConfig,
  environment: string,
): Promise<{ pipeline: CiPipelineType; found: Registered[] }> {
  const start = registered.length;
  const pipeline = new CiPipeline(`fleet-${environment}-ci`, {
    ci,
    environment,
    secrets: fakeSecrets,
    source: `Pulumi.${environment}.yaml`,
  });
  await settle(pulumi.all(pipeline.resources.map((r) => r.urn)));
  return { pipeline, found: registered.slice(start) };
}

const ofType = (found: Registered[], type: string) => found.filter((r) => r.type === type);

describe("ci: GitHub resources (mocks)", () => {
  before(() => {
    pulumi.runtime.setMocks(
      {
        newResource(args) {
          registered.push({ type: args.type, name: args.name, inputs: args.inputs, provider: args.provider });
          const state: Record<string, unknown> = { ...args.inputs };
          // What the platform's providers compute and the gates read (the whole-Fleet test).
          if (args.type.endsWith("render:Service") && args.inputs.serviceType !== "worker") {
            state.url = `https://${args.inputs.name}.onrender.com`;
          }
          if (args.type.endsWith(":EnvVarSet")) state.foreignKeys = {};
          return { id: `${args.name}-id`, state };
        },
        call(args) {
          invokes.push({ token: args.token, args: args.inputs });
          if (args.token === "github:index/getUser:getUser") {
            const id = USER_IDS[args.inputs.username as string];
            if (!id) throw new Error(`no such user ${args.inputs.username}`);
            return { id, login: args.inputs.username };
          }
          if (args.token === "github:index/getTeam:getTeam") {
            return { id: TEAM_IDS[args.inputs.slug as string], slug: args.inputs.slug };
          }
          // Other components of a whole Fleet (alarms) may look things up too.
          return {};
        },
      },
      "fleetgate",
      "dev",
      false,
    );
    // Loaded after setMocks so every resource the module creates is mocked.
    CiPipeline = require("../../components/ci").CiPipeline;
  });

  describe("the dev stack (manages the repository)", () => {
    let found: Registered[];
    let pipeline: CiPipelineType;
    before(async () => {
      ({ pipeline, found } = await build(stackConfigOf("dev").ci!, "dev"));
    });

    it("registers a CiPipeline component and an explicit GitHub provider for the owner", () => {
      assert.strictEqual(ofType(found, "fleetgate:ci:CiPipeline").length, 1);
      const [provider] = ofType(found, "pulumi:providers:github");
      assert.strictEqual(provider.inputs.owner, "fleetgate-example");
      for (const r of found.filter((x) => x.type.startsWith("github:"))) {
        assert.match(r.provider ?? "", /pulumi:providers:github::fleet-dev-ci-github::/, r.name);
      }
    });

    it("commits one RepositoryFile per workflow to the default branch with the generated content", () => {
      const files = ofType(found, "github:index/repositoryFile:RepositoryFile");
      assert.deepStrictEqual(files.map((f) => f.inputs.file).sort(), [
        ".github/workflows/ci.yml",
        ".github/workflows/health-monitor.yml",
        ".github/workflows/pulumi-preview.yml",
        ".github/workflows/pulumi-up.yml",
      ]);
      for (const f of files) {
        assert.strictEqual(f.inputs.repository, "refapp");
        assert.strictEqual(f.inputs.branch, "main");
        assert.strictEqual(f.inputs.overwriteOnCreate, true);
        assert.strictEqual(f.inputs.content, pipeline.workflowFiles[f.inputs.file as string]);
        assert.match(f.inputs.content as string, /^# Generated by fleetgate from Pulumi\.dev\.yaml/);
      }
    });

    it("manages the dev environment (deployable only from protected branches) and its read environment", () => {
      const envs = ofType(found, "github:index/repositoryEnvironment:RepositoryEnvironment");
      assert.deepStrictEqual(envs.map((e) => e.inputs.environment).sort(), ["dev", "dev-read"]);
      const dev = envs.find((e) => e.inputs.environment === "dev")!;
      assert.strictEqual(dev.inputs.reviewers, undefined);
      assert.deepStrictEqual(dev.inputs.deploymentBranchPolicy, {
        protectedBranches: true,
        customBranchPolicies: false,
      });
      // dev is previewed on pull requests: its read environment admits pull request refs.
      const read = envs.find((e) => e.inputs.environment === "dev-read")!;
      assert.strictEqual(read.inputs.deploymentBranchPolicy, undefined);
      assert.strictEqual(read.inputs.reviewers, undefined);
    });

    it("protects main with every gate check required", () => {
      const [bp] = ofType(found, "github:index/branchProtection:BranchProtection");
      assert.strictEqual(bp.inputs.pattern, "main");
      assert.strictEqual(bp.inputs.repositoryId, "refapp");
      assert.strictEqual(bp.inputs.allowsForcePushes, false);
      assert.deepStrictEqual(bp.inputs.requiredStatusChecks, [
        {
          strict: true,
          contexts: [
            "lint",
            "test (default)",
            "test (new-billing)",
            "build",
            "e2e smoke",
            "image (api)",
            "image (dashboard)",
            "migrations dry run",
          ],
        },
      ]);
    });

    it("puts read-scope secrets in the environment and its read environment, environment ones in the environment only", () => {
      // PULUMI_ACCESS_TOKEN can decrypt the stack: never a repository secret (pull requests see those).
      assert.deepStrictEqual(ofType(found, "github:index/actionsSecret:ActionsSecret"), []);
      const envSecrets = ofType(found, "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret");
      assert.deepStrictEqual(envSecrets.map((s) => [s.inputs.secretName, s.inputs.environment]).sort(), [
        // The generated smoke API key, for the health-monitor workflow (scripts/run-checks.ts).
        ["FLEETGATE_GENERATED_SMOKE_API_KEY", "dev"],
        ["FLEETGATE_GENERATED_SMOKE_API_KEY", "dev-read"],
        ["PULUMI_ACCESS_TOKEN", "dev"],
        ["PULUMI_ACCESS_TOKEN", "dev-read"],
        ["RENDER_API_KEY", "dev"],
      ]);
      // The engine receives the value wrapped as a secret, never as a plain string.
      const render = envSecrets.find((s) => s.inputs.secretName === "RENDER_API_KEY")!;
      assert.deepStrictEqual(render.inputs.plaintextValue, {
        [pulumi.runtime.specialSigKey]: pulumi.runtime.specialSecretSig,
        value: "value-of-renderApiKey",
      });
      for (const token of envSecrets.filter((s) => s.inputs.secretName === "PULUMI_ACCESS_TOKEN")) {
        assert.deepStrictEqual(token.inputs.plaintextValue, {
          [pulumi.runtime.specialSigKey]: pulumi.runtime.specialSecretSig,
          value: "value-of-pulumiAccessToken",
        });
      }
      // A generated secret: the stack's own value (random.RandomPassword), as a secret too.
      for (const key of envSecrets.filter(
        (s) => s.inputs.secretName === "FLEETGATE_GENERATED_SMOKE_API_KEY",
      )) {
        assert.deepStrictEqual(key.inputs.plaintextValue, {
          [pulumi.runtime.specialSigKey]: pulumi.runtime.specialSecretSig,
          value: "generated-smoke-api-key",
        });
      }
    });

    it("marks secret values secret on the resource", async () => {
      const secret = pipeline.resources.find(
        (r) =>
          (r as { secretName?: unknown }).secretName !== undefined &&
          r.constructor.name === "ActionsEnvironmentSecret",
      ) as unknown as { plaintextValue: pulumi.Output<string> };
      assert.ok(secret, "no ActionsEnvironmentSecret among the pipeline's resources");
      assert.strictEqual(await pulumi.isSecret(secret.plaintextValue), true);
    });
  });

  describe("the prod stack (its environment only)", () => {
    let found: Registered[];
    before(async () => {
      ({ found } = await build(stackConfigOf("prod").ci!, "prod"));
    });

    it("requires the prod reviewers (looked up by login and slug) and a wait timer", () => {
      const envs = ofType(found, "github:index/repositoryEnvironment:RepositoryEnvironment");
      const env = envs.find((e) => e.inputs.environment === "prod")!;
      // prod is not previewed on pull requests: its read environment admits protected branches only.
      const read = envs.find((e) => e.inputs.environment === "prod-read")!;
      assert.deepStrictEqual(read.inputs.deploymentBranchPolicy, {
        protectedBranches: true,
        customBranchPolicies: false,
      });
      assert.deepStrictEqual(env.inputs.reviewers, [{ users: [5501], teams: [7702] }]);
      assert.strictEqual(env.inputs.waitTimer, 15);
      assert.strictEqual(env.inputs.preventSelfReview, true);
      assert.strictEqual(env.inputs.canAdminsBypass, false);
      assert.ok(
        invokes.some(
          (i) => i.token === "github:index/getUser:getUser" && i.args.username === "fleetgate-lead",
        ),
      );
    });

    it("leaves workflow files, branch protection and repository secrets to the managing stack", () => {
      assert.strictEqual(ofType(found, "github:index/repositoryFile:RepositoryFile").length, 0);
      assert.strictEqual(ofType(found, "github:index/branchProtection:BranchProtection").length, 0);
      assert.strictEqual(ofType(found, "github:index/actionsSecret:ActionsSecret").length, 0);
      assert.deepStrictEqual(
        ofType(found, "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret")
          .map((s) => s.inputs.secretName)
          .sort(),
        [
          "FLEETGATE_GENERATED_SMOKE_API_KEY",
          "FLEETGATE_GENERATED_SMOKE_API_KEY",
          "PULUMI_ACCESS_TOKEN",
          "RENDER_API_KEY",
        ],
      );
    });
  });

  it("is built by the Fleet, as its child, when the stack has a ci section", async () => {
    const { Fleet } = require("../../components/fleet") as typeof import("../../components/fleet");
    const start = registered.length;
    const fleet = new Fleet("refapp", { config: stackConfigOf("dev"), secrets: fakeSecrets });
    assert.ok(fleet.ci, "Fleet.ci is not set");
    await settle(pulumi.all([fleet.urn, ...fleet.ci.resources.map((r) => r.urn)]));
    const mine = registered.slice(start);
    const [component] = ofType(mine, "fleetgate:ci:CiPipeline");
    assert.strictEqual(component.name, "refapp-ci");
    assert.strictEqual(ofType(mine, "github:index/repositoryFile:RepositoryFile").length, 4);
    const urn = await settle(fleet.ci.urn);
    assert.match(urn, /fleetgate:fleet:Fleet\$fleetgate:ci:CiPipeline::refapp-ci$/);
    // Let the rest of the Fleet (gates, alarms) finish registering: nothing may be left in flight.
    await waitForRPCs();
  });

  it("refuses a stack whose environment is not in ci.environments, before registering anything", () => {
    const before = registered.length;
    assert.throws(
      () =>
        new CiPipeline("x", {
          ci: stackConfigOf("dev").ci!,
          environment: "staging",
          secrets: fakeSecrets,
          source: "test",
        }),
      /ci\.environments: this stack deploys environment "staging" \(fleet\.environment\) but ci\.environments lists only "dev", "prod"; add \{ name: staging \}/,
    );
    // Nothing at all was registered: the constructor validates before super().
    assert.strictEqual(registered.length, before);
  });
});
