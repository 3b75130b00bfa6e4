/**
 * The prod stack's generated smoke API key (`{ generated: smoke-api-key }`) under mocks, through
 * the real secret resolver (the stack's secret config set, no fake resolver): one
 * random.RandomPassword whose value reaches, always marked secret, every place a check secret
 * goes: refapp-api's env (the key the service accepts), the smoke gate, the monitor's SSM
 * SecureString (the Lambda reads it there) and the GitHub secret the health-monitor workflow
 * passes to scripts/run-checks.ts. Self-contained: setMocks is global.
 */
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { generatedEnvName } from "../../config/generated-secrets";
import { referencedSecrets, stackConfig } from "./fixtures";

// Internal but stable: the drain `pulumi.runtime.disconnect` waits for (as tests/support/mocks.ts).
const settings = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> };

interface Registered {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
}

/** How a secret input reaches the mocks: wrapped with Pulumi's secret signature. */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const GENERATED = "mockGeneratedSmokeKey0123456789a";

/** Paths (inside `value`) where `needle` occurs, each noted as inside or outside a secret. */
function occurrences(value: unknown, needle: string, path = "", inSecret = false): [string, boolean][] {
  if (typeof value === "string") return value.includes(needle) ? [[path, inSecret]] : [];
  if (Array.isArray(value)) return value.flatMap((v, i) => occurrences(v, needle, `${path}[${i}]`, inSecret));
  if (value && typeof value === "object") {
    const secret = inSecret || SECRET_SIG in value;
    return Object.entries(value).flatMap(([k, v]) => occurrences(v, needle, `${path}.${k}`, secret));
  }
  return [];
}

describe("the generated smoke API key under mocks: every place a check secret goes, marked secret", function () {
  this.timeout(120_000);
  const registered: Registered[] = [];
  const cfg = stackConfig("prod");

  before(async () => {
    const keys = referencedSecrets(cfg);
    pulumi.runtime.setAllConfig(
      Object.fromEntries(keys.map((k) => [`fleetgate:${k}`, `value-of-${k}`])),
      keys.map((k) => `fleetgate:${k}`),
    );
    pulumi.runtime.setMocks(
      {
        newResource: (args) => {
          registered.push({ type: args.type, name: args.name, inputs: args.inputs });
          const state: Record<string, unknown> = { ...args.inputs };
          if (args.type === "random:index/randomPassword:RandomPassword")
            state.result = args.name === "refapp-smoke-api-key" ? GENERATED : "other-generated-value";
          if (args.type.endsWith("render:Service") && args.inputs.serviceType === "web")
            state.url = `https://${args.inputs.name}.onrender.com`;
          if (args.type === "pulumi-nodejs:dynamic/ledger:EvidenceRecord")
            Object.assign(state, { record: { time: "2026-11-29T00:00:00.000Z" }, line: "{}" });
          if (args.type.startsWith("aws:")) state.arn = `arn:aws:mock:::${args.name}`;
          return { id: `${args.name}-id`, state };
        },
        call: (args) => (args.token.startsWith("github:") ? { ...args.inputs, id: "1" } : args.inputs),
      },
      "fleetgate",
      "test",
      false,
    );
    // Loaded after setMocks so the components bind to the mocked runtime.
    const { Fleet } = await import("../../components/fleet");
    const fleet = new Fleet("refapp", { config: cfg });
    await new Promise<void>((resolve) => pulumi.all([fleet.urn, fleet.serviceUrls]).apply(() => resolve()));
    // Every registration is an RPC to the mock monitor (dynamic providers serialize slowly):
    // drain them, then wait until nothing new arrives for half a second.
    const failures: string[] = [];
    const onRejection = (e: unknown) => failures.push(String((e as Error)?.message ?? e));
    process.on("unhandledRejection", onRejection);
    await Promise.race([settings.waitForRPCs(), new Promise((r) => setTimeout(r, 20_000))]);
    process.off("unhandledRejection", onRejection);
    assert.deepStrictEqual(failures, []);
    for (let last = -1, i = 0; i < 100 && registered.length !== last; i++) {
      last = registered.length;
      await new Promise((r) => setTimeout(r, 500));
    }
  });

  after(() => pulumi.runtime.setAllConfig({}, []));

  it("is one RandomPassword: 32 letters and digits, its result a secret output", () => {
    const passwords = registered.filter((r) => r.type === "random:index/randomPassword:RandomPassword");
    assert.deepStrictEqual(passwords.map((p) => p.name).sort(), [
      "refapp-smoke-api-key",
      "refapp-webhook-signing-secret",
    ]);
    assert.deepStrictEqual(passwords[0].inputs, { length: 32, special: false });
  });

  it("reaches the service env, the smoke gate, the monitor's SecureString and both GitHub environments, only as a secret", () => {
    const reached = registered
      .map((r) => ({ r, at: occurrences(r.inputs, GENERATED) }))
      .filter((x) => x.at.length > 0);
    for (const { r, at } of reached) {
      for (const [path, secret] of at)
        assert.ok(secret, `${r.type} ${r.name}${path} holds the value in plain`);
    }
    // Where, exactly: the key the service accepts, the check that sends it, the monitor's store
    // and the GitHub secret of both environments the health-monitor job may run in.
    const at = (type: string, name: string) =>
      reached.find(({ r }) => r.type === type && r.name === name)?.at.map(([path]) => path);
    assert.strictEqual(reached.length, 5, reached.map(({ r }) => `${r.type} ${r.name}`).join("\n"));
    assert.deepStrictEqual(at("fleetgate:render:EnvVars", "render-refapp-api-env"), [
      ".vars.value.SMOKE_API_KEY",
    ]);
    assert.deepStrictEqual(at("pulumi-nodejs:dynamic/checks:SmokeSuite", "smoke"), [
      ".secrets.value.api-key.validKey",
    ]);
    assert.deepStrictEqual(at("aws:ssm/parameter:Parameter", "refapp-alarms-monitor-secrets"), [
      ".value.value",
    ]);
    for (const name of [
      "refapp-ci-env-secret-fleetgate-generated-smoke-api-key",
      "refapp-ci-env-secret-read-fleetgate-generated-smoke-api-key",
    ]) {
      assert.deepStrictEqual(
        at("github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret", name),
        [".plaintextValue.value"],
        name,
      );
    }
  });

  it("the monitor's parameter maps the slot generated:smoke-api-key to the value; its plan names only the slot", () => {
    const param = registered.find((r) => r.type === "aws:ssm/parameter:Parameter")!;
    const value = param.inputs.value as Record<string, string>;
    assert.ok(SECRET_SIG in value);
    assert.deepStrictEqual(JSON.parse(value.value), {
      "generated:smoke-api-key": GENERATED,
    });
    const fn = registered.find((r) => r.type === "aws:lambda/function:Function")!;
    assert.strictEqual(occurrences(fn.inputs, GENERATED).length, 0);
  });

  it("the CI secret the health-monitor workflow reads: FLEETGATE_GENERATED_SMOKE_API_KEY in prod and prod-read", () => {
    const secrets = registered.filter(
      (r) =>
        r.type === "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret" &&
        r.inputs.secretName === generatedEnvName("smoke-api-key"),
    );
    assert.deepStrictEqual(secrets.map((s) => s.inputs.environment).sort(), ["prod", "prod-read"]);
    for (const s of secrets) {
      assert.deepStrictEqual(s.inputs.plaintextValue, {
        [SECRET_SIG]: "1b47061264138c4ac30d75fd1eb44270",
        value: GENERATED,
      });
    }
  });
});
