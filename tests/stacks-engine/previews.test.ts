/**
 * `pulumi preview --policy-pack policies` of dev, prod and every example stack through the real
 * CLI, with the provider doubles at the aws/github/random/docker boundary and the Render double
 * behind `platform.baseUrl`: each passes with no policy violation, and every provider type the
 * stack registers went through the doubles' `check`.
 */
import * as assert from "assert";
import { renderWorkflowFiles } from "../../components/ci/workflows";
import { DoubleCall } from "../doubles/provider";
import { validatedShipped } from "./shipped";
import { GITHUB_REPOSITORY_FILE } from "./types";
import { EngineStack, POLICY_PACK, SECRET_KEYS, secretValue, SHIPPED_STACKS, shippedConfig } from "./support";

describe("shipped stacks: pulumi preview --policy-pack through the engine", function () {
  this.timeout(600_000);
  let stack: EngineStack;

  before(async () => {
    stack = await EngineStack.create("previews");
  });
  after(async () => {
    await stack?.dispose();
  });

  /** Each stack's `check` calls at the provider doubles. */
  const checks: Record<string, DoubleCall[]> = {};

  for (const name of Object.keys(SHIPPED_STACKS)) {
    it(`${name}: preview passes the pack with no violation`, async () => {
      stack.clearCalls();
      stack.writeConfig(shippedConfig(name));
      const r = await stack.run("preview", "--policy-pack", POLICY_PACK);
      assert.strictEqual(r.code, 0, `preview of ${name} failed:\n${r.output}`);
      assert.doesNotMatch(r.output, /mandatory|advisory|violation/i, r.output);
      assert.match(r.output, /Policies:\s*\n\s*✅ fleetgate@v/);
      for (const key of SECRET_KEYS) assert.ok(!r.output.includes(secretValue(key)), `secret ${key} printed`);
      if (process.env.FLEETGATE_SHOW_PREVIEW) console.log(r.output);
      checks[name] = stack.calls("check");
      const checked = new Set(checks[name].map((c) => c.type));
      assert.ok(
        checked.size > 0 || !/aws:|github:/.test(r.output),
        `no provider type reached the doubles:\n${r.output}`,
      );
    });
  }

  it("dev: the workflow files reaching the github double are the generated ones, actions pinned by SHA", () => {
    const files = Object.fromEntries(
      checks.dev
        .filter((c) => c.type === GITHUB_REPOSITORY_FILE)
        .map((c) => [(c.inputs as { file: string }).file, (c.inputs as { content: string }).content]),
    );
    const expected = renderWorkflowFiles(validatedShipped("dev").ci!, `Pulumi.${stack.name}.yaml`);
    assert.deepStrictEqual(Object.keys(files).sort(), Object.keys(expected).sort());
    for (const [file, content] of Object.entries(files)) {
      assert.strictEqual(content, expected[file], file);
      // Every action and reusable workflow of another repository is pinned; local ./ ones are exempt.
      for (const uses of content.match(/uses: [^.\s]\S*/g) ?? []) {
        assert.match(uses, /@[0-9a-f]{40}$/, `${file}: ${uses}`);
      }
    }
  });

  it("an invalid config: preview fails and prints the list of problems once, without a stack trace", async () => {
    stack.clearCalls();
    const cfg = structuredClone(shippedConfig("prod")) as Record<
      string,
      { services: Record<string, unknown>[] }
    >;
    cfg["fleetgate:fleet"].services[4].image = "ghcr.io/fleetgate-example/dashboard:stable";
    delete cfg["fleetgate:fleet"].services[0].healthCheckPath;
    stack.writeConfig(cfg);
    const r = await stack.run("preview", "--policy-pack", POLICY_PACK);
    assert.notStrictEqual(r.code, 0, r.output);
    const problems = [
      /- fleet\.services\[4\]\.image: tag "stable" is not pinned/g,
      /- fleet\.services\[0\]\.healthCheckPath: web service "refapp-api" needs a health check path/g,
    ];
    assert.match(r.output, /invalid fleetgate stack config \(2 problems\)/);
    // The engine shows an error in its progress line and again under Diagnostics; the problems
    // themselves are listed in the Diagnostics block only, each once.
    const diagnostics = r.output.slice(r.output.indexOf("Diagnostics:"));
    for (const p of problems)
      assert.strictEqual(diagnostics.match(p)?.length, 1, `${p} not listed once:\n${r.output}`);
    assert.doesNotMatch(r.output, /unhandled exception|ConfigError|\n\s+at \S+ \(|issues: \[/, r.output);
    // Nothing was registered with a provider.
    assert.deepStrictEqual(stack.calls(), []);
  });
});
