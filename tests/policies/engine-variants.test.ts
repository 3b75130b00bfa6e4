/**
 * Every policy of the pack fails `pulumi preview --policy-pack policies` through the real CLI,
 * with the provider doubles and the Render double, on a stack variant that breaks it:
 * - one prod variant breaks the five rules a valid fleetgate config can still break (a public
 *   service without smoke check or service-down alarm, a database without integrity gate, a
 *   plain secret-looking env var, prod without reviewers);
 *   with `--policy-pack-config` lowering those four to advisory the same preview prints them and passes;
 * - a raw program (engine-raw/) registers what the config validator refuses (an image by
 *   `latest`, an action used by tag, a public service without health check path), so the pack's second line of defence runs;
 * - the advisory `prod-foreign-env-keys` is proven in tests/stacks-engine/prod-up.test.ts, where
 *   a key set by hand on a prod service shows up in a `preview --refresh` that still passes.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { EngineStack, POLICY_PACK, shippedConfig } from "../stacks-engine/support";
import { runPulumiAsync } from "../support/engine";
import { BROKEN_PROD, RAW } from "./engine-cases";

type Obj = Record<string, unknown>;

/** The prod stack's config with one change per policy a valid config can break. */
function brokenProd(): Obj {
  const cfg = structuredClone(shippedConfig("prod")) as Record<string, Obj>;
  // secret-env-values: the config itself refuses a plain value under a secret-looking key, so
  // that case is the raw program's (engine-raw/).
  const gates = cfg["fleetgate:gates"] as { smoke: { checks: Obj[] }; integrity?: unknown; backup: Obj };
  // smoke-gate: the dashboard's check removed. integrity-gate: no integrity gate beside DATABASE_URL.
  gates.smoke.checks = gates.smoke.checks.filter((c) => c.target !== "refapp-dashboard");
  delete gates.integrity;
  gates.backup.connection = { secret: "databaseUrl" };
  // service-down-alarm: the dashboard left out of the alarms.
  (cfg["fleetgate:alarms"] as { services: string[] }).services = ["refapp-api"];
  // prod-reviewers: the prod environment without reviewers.
  const envs = (cfg["fleetgate:ci"] as { environments: Obj[] }).environments;
  delete envs.find((e) => e.name === "prod")!.reviewers;
  return cfg;
}

/** `[<level>]  <policy>` header line of a reported violation, followed (within the block) by the message. */
function assertReported(output: string, level: "mandatory" | "advisory", policy: string, message: RegExp) {
  assert.match(
    output,
    new RegExp(`\\[${level}\\]\\s+${policy}\\b`),
    `${policy} not reported as ${level}:\n${output}`,
  );
  assert.match(output, message, `${policy}'s message missing:\n${output}`);
}

describe("policy pack through the engine: a failing stack variant per policy", function () {
  this.timeout(600_000);
  let stack: EngineStack;

  before(async () => {
    stack = await EngineStack.create("policy-variants");
  });
  after(async () => {
    await stack?.dispose();
  });

  it("a prod variant fails preview with the four config-reachable policies, each with its message", async () => {
    stack.writeConfig(brokenProd());
    const r = await stack.run("preview", "--policy-pack", POLICY_PACK);
    assert.notStrictEqual(r.code, 0, `preview passed:\n${r.output}`);
    for (const [policy, message] of BROKEN_PROD) assertReported(r.output, "mandatory", policy, message);
  });

  it("--policy-pack-config lowering those four to advisory: the same preview prints them and passes", async () => {
    const levels = path.join(stack.dir, "advisory.json");
    fs.writeFileSync(levels, JSON.stringify(Object.fromEntries(BROKEN_PROD.map(([p]) => [p, "advisory"]))));
    const r = await stack.run("preview", "--policy-pack", POLICY_PACK, "--policy-pack-config", levels);
    assert.strictEqual(r.code, 0, `preview failed:\n${r.output}`);
    for (const [policy, message] of BROKEN_PROD) assertReported(r.output, "advisory", policy, message);
    assert.doesNotMatch(r.output, /\[mandatory\]/);
  });

  it("resources the config refuses to build fail preview with pinned-images, actions-pinned-by-sha, web-health-check, stateful-disk and secret-env-values", async () => {
    const cwd = path.join(__dirname, "engine-raw");
    const name = `test-raw-${process.pid}`;
    const run = (...args: string[]) => runPulumiAsync([...args, "--stack", name], { cwd, env: stack.env });
    assert.strictEqual((await run("stack", "init")).code, 0);
    try {
      const r = await run("preview", "--policy-pack", POLICY_PACK);
      assert.notStrictEqual(r.code, 0, `preview passed:\n${r.output}`);
      for (const [policy, message] of RAW) assertReported(r.output, "mandatory", policy, message);
      // The workflow file and the image went through the doubles' check.
      const checked = stack.calls("check").map((c) => c.type);
      assert.ok(checked.includes("github:index/repositoryFile:RepositoryFile"), checked.join());
      assert.ok(checked.includes("docker:index/remoteImage:RemoteImage"), checked.join());
    } finally {
      await run("stack", "rm", "--yes", "--force");
    }
  });
});
