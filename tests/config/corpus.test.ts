/**
 * The bad-config corpus: every case is a valid base config with one mistake, and must fail
 * with an error that names the field and the fix. The shipped stacks must pass.
 */
import * as assert from "assert";
import * as path from "path";
import { validateStackConfig, parseStackConfig, ConfigError } from "../../config/load";
import { referencedSecretKeys } from "../../config/schema";
import { readStackFile } from "../../config/stack-file";
import { REPO_ROOT } from "../support/engine";
import { base, Raw, SECRETS } from "./base";

interface Case {
  title: string;
  mutate: (c: Raw) => void;
  /** Each expected line is `<path>: <substring of the message>`. */
  expect: string[];
}

const CASES: Case[] = [
  {
    title: "unknown key in a service",
    mutate: (c) => (c.fleet.services[0].imagee = "x"),
    expect: ['fleet.services[0].imagee: unknown key "imagee"; remove it or check its spelling'],
  },
  {
    title: "unknown top-level section",
    mutate: (c) => (c.alerts = {}),
    expect: ['alerts: unknown key "alerts"'],
  },
  {
    title: "duplicate service names",
    mutate: (c) => (c.fleet.services[2].name = "shop-api"),
    expect: [
      'fleet.services[2].name: service name "shop-api" is used twice; give every service a unique name',
    ],
  },
  {
    title: "bad env-var name",
    mutate: (c) => (c.fleet.envSets[0].vars["1BAD-NAME"] = "x"),
    expect: [
      "fleet.envSets[0].vars.1BAD-NAME: \"1BAD-NAME\" is not a valid env-var name; use letters, digits and '_'",
    ],
  },
  {
    title: "negative timeout",
    mutate: (c) => (c.gates.smoke.timeoutMs = -5),
    expect: ["gates.smoke.timeoutMs: must be a positive number of milliseconds"],
  },
  {
    title: "image tagged latest",
    mutate: (c) => (c.fleet.services[2].image = "ghcr.io/acme/worker:latest"),
    expect: ['fleet.services[2].image: tag "latest" is not pinned; use a digest or an exact version'],
  },
  {
    title: "image without a tag",
    mutate: (c) => (c.fleet.services[0].image = "nginx"),
    expect: ['fleet.services[0].image: image "nginx" has no tag; use a digest or an exact version'],
  },
  {
    title: "image on a tag the stack lists as floating",
    mutate: (c) => {
      c.fleet.floatingTags = ["stable"];
      c.fleet.services[0].image = "ghcr.io/acme/api:stable";
    },
    expect: ['fleet.services[0].image: tag "stable" is not pinned'],
  },
  {
    title: "partial version tag",
    mutate: (c) => (c.fleet.services[0].image = "ghcr.io/acme/api:1.4"),
    expect: ['fleet.services[0].image: tag "1.4" is not an exact version'],
  },
  {
    title: "malformed digest",
    mutate: (c) => (c.fleet.services[1].image = "ghcr.io/acme/worker@sha256:abc"),
    expect: ['fleet.services[1].image: digest "sha256:abc" is not a sha256 digest'],
  },
  {
    title: "secret reference that is not set",
    mutate: (c) => (c.fleet.envSets[0].vars.STRIPE_KEY = { secret: "stripeKey" }),
    expect: [
      'fleet.envSets[0].vars.STRIPE_KEY: secret "stripeKey" is not set; run: pulumi config set --secret fleetgate:stripeKey <value>',
    ],
  },
  {
    title: "env set names an unknown service",
    mutate: (c) => c.fleet.envSets[0].services.push("shop-web"),
    expect: ['fleet.envSets[0].services[2]: unknown service "shop-web"; declare it under fleet.services'],
  },
  {
    title: "one service in two env sets",
    mutate: (c) => c.fleet.envSets.push({ name: "extra", services: ["shop-api"], vars: {} }),
    expect: ['fleet.envSets[1].services[0]: service "shop-api" already receives env-var set "backend"'],
  },
  {
    title: "one key twice in one layer (case differs)",
    mutate: (c) => (c.fleet.envSets[0].vars.node_env = "dev"),
    expect: ['fleet.envSets[0].vars: env var "NODE_ENV" and "node_env" repeat one key in one layer'],
  },
  {
    title: "web service without a health check path",
    mutate: (c) => delete c.fleet.services[0].healthCheckPath,
    expect: ['fleet.services[0].healthCheckPath: web service "shop-api" needs a health check path'],
  },
  {
    title: "cron service without a schedule",
    mutate: (c) => delete c.fleet.services[2].schedule,
    expect: ['fleet.services[2].schedule: cron service "shop-cron" needs a schedule'],
  },
  {
    title: "unknown service type",
    mutate: (c) => (c.fleet.services[1].type = "background"),
    expect: ["fleet.services[1].type: must be one of web, private, worker, cron"],
  },
  {
    title: "smoke check on an unknown target",
    mutate: (c) => (c.gates.smoke.checks[0].target = "shop-web"),
    expect: ['gates.smoke.checks[0].target: unknown target "shop-web"; name a service or an external target'],
  },
  {
    title: "unknown check kind",
    mutate: (c) => (c.gates.smoke.checks[0].kind = "ping"),
    expect: [
      "gates.smoke.checks[0].kind: must be one of http, json, html, apiKey, mcp, webhook, jwks, requestId",
    ],
  },
  {
    title: "plain-text database password",
    mutate: (c) => (c.gates.integrity.connection = "postgres://app:hunter2@db:5432/app"),
    expect: ["gates.integrity.connection: the connection string holds a password in plain text"],
  },
  {
    title: "bad Render owner id",
    mutate: (c) => (c.platform.ownerId = "acme"),
    expect: ["platform.ownerId: must be a Render owner id such as tea-abc123"],
  },
  {
    title: "unknown platform kind",
    mutate: (c) => (c.platform.kind = "heroku"),
    expect: ["platform.kind: must be one of render, local"],
  },
  {
    title: "health path without a leading slash",
    mutate: (c) => (c.fleet.services[0].healthCheckPath = "health"),
    expect: ["fleet.services[0].healthCheckPath: must be a path starting with '/'"],
  },
  {
    title: "missing fleet",
    mutate: (c) => delete c.fleet,
    expect: ["fleet: is required"],
  },
  {
    title: "local platform without a local command",
    mutate: (c) => (c.platform = { kind: "local" }),
    expect: ['fleet.services[0].local: the local platform needs local.command and local.port for "shop-api"'],
  },
];

describe("config: bad-config corpus", () => {
  it("the base config of the corpus is valid", () => {
    const r = validateStackConfig(base(), { secretKeys: SECRETS });
    assert.ok(r.ok, r.ok ? "" : JSON.stringify(r.issues, null, 2));
  });

  it("has at least 15 cases", () => assert.ok(CASES.length >= 15));

  for (const c of CASES) {
    it(`refuses: ${c.title}`, () => {
      const raw = base();
      c.mutate(raw);
      let error: unknown;
      try {
        parseStackConfig(raw, { secretKeys: SECRETS });
      } catch (e) {
        error = e;
      }
      assert.ok(error instanceof ConfigError, "expected a ConfigError");
      const lines = error.issues.map((i) => `${i.path}: ${i.message}`);
      for (const want of c.expect) {
        assert.ok(
          lines.some((l) => l.includes(want)),
          `no issue contains ${JSON.stringify(want)}; got:\n${lines.join("\n")}`,
        );
      }
      // The error message lists every issue, one per line, with its path.
      for (const l of lines) assert.ok(error.message.includes(l));
    });
  }

  it("lists every problem at once, not only the first", () => {
    const raw = base();
    raw.fleet.services[0].image = "api:latest";
    raw.fleet.services[2].name = "shop-api";
    raw.gates.smoke.checks[0].target = "nope";
    const r = validateStackConfig(raw, { secretKeys: SECRETS });
    assert.ok(!r.ok);
    assert.deepStrictEqual(r.issues.map((i) => i.path).sort(), [
      "fleet.services[0].image",
      "fleet.services[2].name",
      "gates.smoke.checks[0].target",
    ]);
  });
});

describe("config: shipped stacks", () => {
  for (const stack of ["local", "dev", "prod"]) {
    it(`Pulumi.${stack}.yaml is valid`, () => {
      const file = readStackFile(path.join(REPO_ROOT, `Pulumi.${stack}.yaml`));
      // dev/prod read their secrets from config the operator sets (README); assume those are set.
      const secretKeys = new Set([...file.context.secretKeys, ...referencedSecretKeys(file.raw)]);
      const r = validateStackConfig(file.raw, { secretKeys });
      assert.ok(r.ok, r.ok ? "" : r.issues.map((i) => `${i.path}: ${i.message}`).join("\n"));
    });
  }

  for (const stack of ["dev", "prod"]) {
    it(`Pulumi.${stack}.yaml names the command for every secret it needs when they are not set`, () => {
      const file = readStackFile(path.join(REPO_ROOT, `Pulumi.${stack}.yaml`));
      const needed = referencedSecretKeys(file.raw);
      assert.ok(needed.length > 0);
      const r = validateStackConfig(file.raw, { secretKeys: new Set() });
      assert.ok(!r.ok);
      for (const key of needed) {
        assert.ok(
          r.issues.some((i) => i.message.includes(`pulumi config set --secret fleetgate:${key} `)),
          `no issue tells how to set ${key}`,
        );
      }
    });
  }
});
