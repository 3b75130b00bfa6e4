/**
 * Config messages (issue 18): a wrong type is named with what was written, every problem is
 * listed in one run (the cross-field rules run even when some fields are invalid), schedules are
 * parsed, plain secrets and URL credentials are refused, and every message says how to fix it.
 * Each case asserts the exact field path and the fix in its message.
 */
import * as assert from "assert";
import * as path from "path";
import { validateStackConfig } from "../../config/load";
import { ConfigIssue, referencedSecretKeys } from "../../config/schema";
import { readStackFile } from "../../config/stack-file";
import { REPO_ROOT } from "../support/engine";
import { base, Raw, SECRETS } from "./base";

interface Case {
  title: string;
  /** Which config to start from: the corpus base (default) or the shipped dev stack (alarms, CI). */
  from?: "base" | "dev";
  mutate: (c: Raw) => void;
  /** The exact path of the problem. */
  path: string;
  /** Substrings of its message: what is wrong and how to fix it. */
  says: string[];
}

function devStack(): Raw {
  const file = readStackFile(path.join(REPO_ROOT, "Pulumi.dev.yaml"));
  return structuredClone(file.raw) as Raw;
}

function validate(raw: Raw) {
  const secretKeys = new Set([...SECRETS, ...referencedSecretKeys(raw)]);
  return validateStackConfig(raw, { secretKeys });
}

const CASES: Case[] = [
  // Wrong types are named with the input, not as "is required".
  {
    title: "a fraction where a whole number goes",
    mutate: (c) => (c.fleet.services[0].instances = 1.5),
    path: "fleet.services[0].instances",
    says: ["must be a whole number, got the fraction 1.5", "use a whole number such as 2"],
  },
  {
    title: "a quoted number",
    mutate: (c) => (c.fleet.services[0].instances = "3"),
    path: "fleet.services[0].instances",
    says: ['got the string "3"', "write the number without quotes"],
  },
  {
    title: "a quoted number in the platform section",
    mutate: (c) => (c.platform.requestsPerSecond = "10"),
    path: "platform.requestsPerSecond",
    says: ['must be a number, got the string "10"', "write the number without quotes"],
  },
  {
    title: "null where a string goes",
    mutate: (c) => (c.fleet.services[0].image = null),
    path: "fleet.services[0].image",
    says: ["must be a string, got null", "give it a value or remove the key"],
  },
  {
    title: "a single string where a list goes",
    mutate: (c) => (c.fleet.envSets[0].services = "shop-api"),
    path: "fleet.envSets[0].services",
    says: ['must be a list, got the string "shop-api"', "write it as a list (- item)"],
  },
  {
    title: "a bare YAML number as an env value",
    mutate: (c) => (c.fleet.envSets[0].vars.PORT = 8080),
    path: "fleet.envSets[0].vars.PORT",
    says: ["must be a string or { secret: <key> }, got number 8080", 'quote it: "8080"'],
  },
  {
    title: "a bare YAML boolean as an env value",
    mutate: (c) => (c.fleet.services[0].env = { DEBUG: true }),
    path: "fleet.services[0].env.DEBUG",
    says: ["got boolean true", 'quote it: "true"'],
  },
  {
    title: "an env var with no value",
    mutate: (c) => (c.fleet.envSets[0].vars.LOG_LEVEL = null),
    path: "fleet.envSets[0].vars.LOG_LEVEL",
    says: ["has no value", "or remove the key"],
  },
  {
    title: "an unknown platform kind, named as written",
    mutate: (c) => (c.platform.kind = "heroku"),
    path: "platform.kind",
    says: ['must be one of render, local, got the string "heroku"'],
  },
  {
    title: "an empty string where the schema gave no message of its own",
    mutate: (c) => (c.fleet.services[0].plan = ""),
    path: "fleet.services[0].plan",
    says: ["is empty; write a value or remove the key"],
  },
  // Schedules are parsed.
  {
    title: "an empty schedule",
    mutate: (c) => (c.fleet.services[2].schedule = ""),
    path: "fleet.services[2].schedule",
    says: ["is empty", 'write a 5-field cron expression such as "0 * * * *"'],
  },
  {
    title: "a schedule in words",
    mutate: (c) => (c.fleet.services[2].schedule = "every hour"),
    path: "fleet.services[2].schedule",
    says: ['"every hour" has 2 fields', "write exactly 5"],
  },
  {
    title: "a schedule with an out-of-range minute",
    mutate: (c) => (c.fleet.services[2].schedule = "61 * * * *"),
    path: "fleet.services[2].schedule",
    says: ["is not a valid cron expression", "expected range 0-59", 'write e.g. "0 * * * *"'],
  },
  {
    title: "a 6-field (seconds) cron schedule on Render",
    mutate: (c) => (c.fleet.services[2].schedule = "0 0 * * * *"),
    path: "fleet.services[2].schedule",
    says: ["has 6 fields", "write exactly 5"],
  },
  {
    title: "an impossible date in a schedule",
    mutate: (c) => (c.fleet.services[2].schedule = "0 0 31 2 *"),
    path: "fleet.services[2].schedule",
    says: ["is not a valid cron expression", "write e.g."],
  },
  {
    title: "a CI health-monitor schedule that is a macro",
    from: "dev",
    mutate: (c) => (c.ci.healthMonitor.schedule = "@daily"),
    path: "ci.healthMonitor.schedule",
    says: ['"@daily" has 1 field', "write exactly 5"],
  },
  {
    title: "an AWS cron with both day fields set",
    from: "dev",
    mutate: (c) => (c.alarms.monitor.schedule = "cron(0 12 * * * *)"),
    path: "alarms.monitor.schedule",
    says: ['must have "?" in exactly one of day-of-month and day-of-week', "cron(0 */12 * * ? *)"],
  },
  {
    title: "an AWS cron with 5 fields",
    from: "dev",
    mutate: (c) => (c.alarms.monitor.schedule = "cron(0 12 * * ?)"),
    path: "alarms.monitor.schedule",
    says: ["AWS cron takes 6", "e.g. cron(0 */12 * * ? *)"],
  },
  {
    title: "an AWS rate with the wrong unit form",
    from: "dev",
    mutate: (c) => (c.alarms.monitor.schedule = "rate(1 hours)"),
    path: "alarms.monitor.schedule",
    says: ["must read rate(1 hour)"],
  },
  {
    title: "an AWS cron with an out-of-range hour",
    from: "dev",
    mutate: (c) => (c.alarms.monitor.schedule = "cron(0 25 * * ? *)"),
    path: "alarms.monitor.schedule",
    says: ["is not a valid AWS cron expression", "expected range 0-23", "write e.g. cron(0 */12 * * ? *)"],
  },
  // Plain secrets and credentials.
  {
    title: "a plain value under a secret-looking key in a set",
    mutate: (c) => (c.fleet.envSets[0].vars.STRIPE_API_KEY = "sk_live_not_a_real_key"),
    path: "fleet.envSets[0].vars.STRIPE_API_KEY",
    says: [
      "has a plain value but its name looks secret",
      "run `pulumi config set --secret fleetgate:<key> <value>` and write STRIPE_API_KEY: { secret: <key> }",
    ],
  },
  {
    title: "a plain value under a secret-looking key in a service's own layer",
    mutate: (c) => (c.fleet.services[1].env = { JWT_SECRET: "changeme" }),
    path: "fleet.services[1].env.JWT_SECRET",
    says: ["its name looks secret", "write JWT_SECRET: { secret: <key> }"],
  },
  {
    title: "a URL with credentials as a plain env value",
    mutate: (c) => (c.fleet.envSets[0].vars.UPSTREAM = "https://bob:hunter2@api.example.com/v1"),
    path: "fleet.envSets[0].vars.UPSTREAM",
    says: ["the URL carries credentials", "write UPSTREAM: { secret: <key> }"],
  },
  {
    title: "an external target URL with credentials",
    mutate: (c) =>
      (c.fleet.externalTargets = [{ name: "partner", url: "https://bob:hunter2@partner.example.com" }]),
    path: "fleet.externalTargets[0].url",
    says: ["must not carry credentials", "pass them as a secret header or env var"],
  },
  {
    title: "one key in two layers differing only in case",
    mutate: (c) => (c.fleet.services[0].env = { node_env: "test" }),
    path: "fleet.services[0].env.node_env",
    says: ['"node_env" differs only in case from "NODE_ENV" of env-var set "backend"', 'spell it "NODE_ENV"'],
  },
  // Bounds.
  {
    title: "a wave far out of range",
    mutate: (c) => (c.fleet.services[0].wave = 1000),
    path: "fleet.services[0].wave",
    says: ["must be at most 100", "number waves 0, 1, 2"],
  },
  {
    title: "a negative wave",
    mutate: (c) => (c.fleet.services[0].wave = -1),
    path: "fleet.services[0].wave",
    says: ["must be 0 or more"],
  },
  // Image references that are not references.
  {
    title: "an image with a URL scheme",
    mutate: (c) => (c.fleet.services[0].image = "https://ghcr.io/acme/api:1.4.2"),
    path: "fleet.services[0].image",
    says: ["has a URL scheme", "write it without one"],
  },
  {
    title: "an image with two tags",
    mutate: (c) => (c.fleet.services[0].image = "ghcr.io/acme/api:1.4.2:1.4.3"),
    path: "fleet.services[0].image",
    says: ['has more than one ":tag"', "keep one"],
  },
  {
    title: "an image with an empty path component",
    mutate: (c) => (c.fleet.services[0].image = "ghcr.io/acme//api:1.4.2"),
    path: "fleet.services[0].image",
    says: ["has an empty path component", 'remove the extra "/"'],
  },
  {
    title: "an upper-case repository",
    mutate: (c) => (c.fleet.services[0].image = "ghcr.io/Acme/api:1.4.2"),
    path: "fleet.services[0].image",
    says: ["upper-case letters in its repository", "(acme/api)"],
  },
  {
    title: "an over-long tag",
    mutate: (c) => (c.fleet.services[0].image = `ghcr.io/acme/api:1.4.2-${"a".repeat(130)}`),
    path: "fleet.services[0].image",
    says: ["is longer than 128 characters", "use a shorter tag"],
  },
  {
    title: "a tag with an invalid character",
    mutate: (c) => (c.fleet.services[0].image = "ghcr.io/acme/api:1.4.2!"),
    path: "fleet.services[0].image",
    says: ['tag "1.4.2!"', 'a tag is letters, digits, "_", "." and "-"'],
  },
];

function issuesOf(c: Case): ConfigIssue[] {
  const raw = c.from === "dev" ? devStack() : base();
  c.mutate(raw);
  const r = validate(raw);
  assert.ok(!r.ok, "expected the config to be refused");
  return r.issues;
}

describe("config: messages name the input and the fix (issue 18)", () => {
  it("has at least 25 cases", () => assert.ok(CASES.length >= 25, `${CASES.length} cases`));

  it("the shipped dev stack the alarms/CI cases edit is valid", () => {
    const r = validate(devStack());
    assert.ok(r.ok, r.ok ? "" : r.issues.map((i) => `${i.path}: ${i.message}`).join("\n"));
  });

  for (const c of CASES) {
    it(`refuses: ${c.title}`, () => {
      const issues = issuesOf(c);
      const atPath = issues.filter((i) => i.path === c.path);
      const lines = issues.map((i) => `${i.path}: ${i.message}`).join("\n");
      // Exactly one message for the field: no duplicates, no "is required" for a wrong value.
      assert.strictEqual(atPath.length, 1, `expected one issue at ${c.path}; got:\n${lines}`);
      for (const s of c.says) {
        assert.ok(
          atPath[0].message.includes(s),
          `message at ${c.path} lacks ${JSON.stringify(s)}: ${atPath[0].message}`,
        );
      }
      assert.ok(
        !/is required/.test(atPath[0].message),
        `a present value is reported as missing: ${atPath[0].message}`,
      );
    });
  }

  it("never falls back to zod's own wording, which names no fix", () => {
    for (const c of CASES) {
      for (const i of issuesOf(c)) {
        assert.doesNotMatch(
          i.message,
          /^(Invalid input|Too (small|big)|Invalid option)|received (undefined|number|string|null)/,
          `${c.title}: ${i.path}: ${i.message}`,
        );
      }
    }
  });

  it("never prints a credential it refuses", () => {
    const [urlCase] = CASES.filter((c) => c.title === "a URL with credentials as a plain env value");
    for (const i of issuesOf(urlCase)) assert.ok(!i.message.includes("hunter2"), i.message);
  });

  it("an out-of-range number gets one message, not one per rule", () => {
    const raw = base();
    raw.platform = { kind: "local" };
    raw.fleet.services.forEach(
      (s: Raw, i: number) => (s.local = { command: ["node", "x.js"], port: 4000 + i }),
    );
    raw.fleet.services[0].local.port = 70000.5;
    raw.fleet.services[1].local.port = 80;
    const r = validate(raw);
    assert.ok(!r.ok);
    const byPath = new Map<string, number>();
    for (const i of r.issues) byPath.set(i.path, (byPath.get(i.path) ?? 0) + 1);
    assert.strictEqual(byPath.get("fleet.services[0].local.port"), 1);
    assert.strictEqual(byPath.get("fleet.services[1].local.port"), 1);
    const lines = r.issues.map((i) => `${i.path}\u0000${i.message}`);
    assert.strictEqual(new Set(lines).size, lines.length, "duplicated messages");
  });

  it("lists field errors and cross-field errors of one config in one run", () => {
    const raw = base();
    raw.fleet.services[0].instances = 1.5; // field: wrong type
    raw.fleet.services[0].env = { node_env: "test" }; // cross-field, on the service with a field error
    raw.fleet.services[1].wave = 1000; // field: out of range
    raw.fleet.services[2].schedule = "every hour"; // field: schedule
    raw.fleet.services[2].image = "ghcr.io/acme/worker:latest"; // cross-field: pinning
    raw.fleet.envSets[0].vars.API_TOKEN = "plain"; // cross-field: plain secret
    raw.gates.smoke.checks[0].target = "shop-web"; // cross-field: unknown target
    raw.fleet.envSets[0].services.push("shop-nope"); // cross-field: unknown service
    const r = validate(raw);
    assert.ok(!r.ok);
    assert.deepStrictEqual(r.issues.map((i) => i.path).sort(), [
      "fleet.envSets[0].services[2]",
      "fleet.envSets[0].vars.API_TOKEN",
      "fleet.services[0].env.node_env",
      "fleet.services[0].instances",
      "fleet.services[1].wave",
      "fleet.services[2].image",
      "fleet.services[2].schedule",
      "gates.smoke.checks[0].target",
    ]);
  });

  it('a list left out as a whole (services: null) raises no false "unknown service"', () => {
    const raw = base();
    raw.fleet.services = null;
    const r = validate(raw);
    assert.ok(!r.ok);
    assert.deepStrictEqual(
      r.issues.map((i) => `${i.path}: ${i.message}`),
      ["fleet.services: must be a list, got null (an empty value); give it a value or remove the key"],
    );
  });

  it("cross-field rules keep their paths when a list element before them is invalid", () => {
    const raw = base();
    raw.fleet.services[0].type = "background"; // the whole element is left out of the cross-field pass
    raw.fleet.services[2].name = "shop-worker"; // duplicate of services[1], reported at index 2
    const r = validate(raw);
    assert.ok(!r.ok);
    const lines = r.issues.map((i) => `${i.path}: ${i.message}`);
    assert.ok(
      lines.some((l) => l.startsWith("fleet.services[0].type: must be one of web, private, worker, cron")),
    );
    assert.ok(
      lines.some((l) => l.startsWith('fleet.services[2].name: service name "shop-worker" is used twice')),
      lines.join("\n"),
    );
    // The left-out service is not reported as unknown where other fields name it.
    assert.ok(!lines.some((l) => l.includes('unknown service "shop-api"')), lines.join("\n"));
    assert.ok(!lines.some((l) => l.includes('unknown target "shop-api"')), lines.join("\n"));
  });
});
