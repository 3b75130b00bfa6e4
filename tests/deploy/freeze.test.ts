/**
 * The error-budget freeze and the deploy-features config: budget arithmetic over monitor
 * records, the freeze decision (environment, new images, override), the program-level check
 * reading a real ledger file, and config errors that name the field.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { enforceErrorBudget } from "../../components/deploy";
import { validateStackConfig } from "../../config/load";
import type { StackConfig } from "../../config/schema";
import { appendRecord } from "../../lib/ledger/file";
import type { DeployRecord, LedgerRecord, MonitorRecord } from "../../lib/ledger/record";
import { errorBudget } from "../../lib/slo/budget";
import { freezeDecision, FreezeError } from "../../lib/slo/freeze";
import { tempDir } from "../support/engine";

const NOW = new Date("2026-11-25T12:00:00Z");
const API_OLD = "ghcr.io/o/api:1.8.3";
const API_NEW = "ghcr.io/o/api:1.8.4";

function rawConfig(
  environment: string,
  gates: Record<string, unknown> = {},
  image = API_NEW,
): Record<string, unknown> {
  return {
    platform: { kind: "render", ownerId: "tea-abc123" },
    fleet: {
      name: "refapp",
      environment,
      services: [
        { name: "api", type: "web", image, healthCheckPath: "/health" },
        { name: "worker", type: "worker", image: "ghcr.io/o/worker:2.0.0" },
      ],
    },
    gates,
  };
}

function config(environment: string, gates: Record<string, unknown> = {}, image = API_NEW): StackConfig {
  const r = validateStackConfig(rawConfig(environment, gates, image), {
    secretKeys: new Set(["databaseUrl", "chatUrl"]),
  });
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.config;
}

/** `total` monitor runs over the last days, `failed` of them failing. */
function monitorRuns(total: number, failed: number, environment = "prod"): MonitorRecord[] {
  return Array.from({ length: total }, (_, i) => ({
    kind: "monitor",
    time: new Date(NOW.getTime() - (i + 1) * 3_600_000).toISOString(),
    stack: environment,
    environment,
    fleet: "refapp",
    checks: [],
    ok: i >= failed,
  }));
}

const deployed = (images: Record<string, string>): DeployRecord => ({
  kind: "deploy",
  time: new Date(NOW.getTime() - 86_400_000).toISOString(),
  stack: "prod",
  environment: "prod",
  fleet: "refapp",
  outcome: "succeeded",
  revision: "r1",
  images,
  checks: [],
  rollback: [],
});

describe("error-budget freeze", () => {
  describe("budget", () => {
    const scope = {
      fleet: "refapp",
      environment: "prod",
      sloPercent: 99,
      windowDays: 30,
      minRuns: 10,
      now: NOW,
    };

    it("computes availability and the share of the budget spent", () => {
      const b = errorBudget(monitorRuns(200, 1), scope);
      assert.deepStrictEqual(
        { ...b, windowStart: undefined },
        {
          runs: 200,
          failedRuns: 1,
          availabilityPercent: 99.5,
          usedPercent: 50,
          exhausted: false,
          windowStart: undefined,
        },
      );
      assert.strictEqual(errorBudget(monitorRuns(200, 2), scope).exhausted, true);
    });

    it("counts only this fleet's environment inside the window", () => {
      const old: MonitorRecord = { ...monitorRuns(1, 1)[0], time: "2026-01-01T00:00:00Z" };
      const dev = monitorRuns(50, 50, "dev");
      const b = errorBudget([old, ...dev, ...monitorRuns(20, 0)], scope);
      assert.strictEqual(b.runs, 20);
      assert.strictEqual(b.failedRuns, 0);
    });

    it("does not freeze on too little evidence", () => {
      assert.strictEqual(errorBudget(monitorRuns(5, 5), scope).exhausted, false);
    });
  });

  describe("decision", () => {
    const spent: LedgerRecord[] = [
      ...monitorRuns(100, 10),
      deployed({ api: API_OLD, worker: "ghcr.io/o/worker:2.0.0" }),
    ];
    const eb = { errorBudget: { sloPercent: 99.9 } };

    it("refuses new images in prod with the figures, the images and the way out", () => {
      const d = freezeDecision(config("prod", eb), spent, "prod", NOW);
      assert.strictEqual(d.frozen, true);
      assert.deepStrictEqual(d.newImages, [`api: ${API_OLD} -> ${API_NEW}`]);
      assert.match(
        d.message!,
        /error-budget freeze on prod: availability over the last 30 days is 90 % \(10 of 100 monitor runs failed\) against an SLO of 99.9 %, so 10000 % of the error budget is spent/,
      );
      assert.match(d.message!, /gates.errorBudget.override.reason/);
    });

    it("lets a deploy that keeps the deployed images through", () => {
      const d = freezeDecision(config("prod", eb, API_OLD), spent, "prod", NOW);
      assert.strictEqual(d.frozen, false);
      assert.deepStrictEqual(d.newImages, []);
    });

    it("does not apply outside the listed environments", () => {
      const dev = [...monitorRuns(100, 10, "dev")];
      assert.strictEqual(freezeDecision(config("dev", eb), dev, "dev", NOW).frozen, false);
    });

    it("treats a stack with no recorded deploy as shipping new images", () => {
      assert.strictEqual(
        freezeDecision(config("prod", eb, API_OLD), monitorRuns(100, 10), "prod", NOW).frozen,
        true,
      );
    });

    it("passes with an override and says why", () => {
      const cfg = config("prod", { errorBudget: { override: { reason: "shipping the fix for INC-42" } } });
      const d = freezeDecision(cfg, spent, "prod", NOW);
      assert.strictEqual(d.frozen, false);
      assert.strictEqual(d.overridden, "shipping the fix for INC-42");
    });
  });

  describe("in the program", () => {
    it("throws a FreezeError from the ledger file before anything is registered", () => {
      const dir = tempDir("freeze");
      const file = path.join(dir, "ledger.jsonl");
      for (const r of [...monitorRuns(100, 10), deployed({ api: API_OLD })]) appendRecord(file, r);
      const cfg = config("prod", { errorBudget: {} });
      assert.throws(
        () => enforceErrorBudget(cfg, file, "prod", NOW),
        (err: Error) => err instanceof FreezeError && /New images are refused/.test(err.message),
      );
      assert.strictEqual(enforceErrorBudget(config("prod", {}), file, "prod", NOW).frozen, false);
      fs.rmSync(dir, { recursive: true, force: true });
    });
  });

  describe("config", () => {
    const issues = (gates: Record<string, unknown>) => {
      const r = validateStackConfig(rawConfig("prod", gates), {
        secretKeys: new Set(["databaseUrl", "chatUrl"]),
      });
      return r.ok ? [] : r.issues.map((i) => `${i.path}: ${i.message}`);
    };

    it("accepts every section with its defaults", () => {
      const cfg = config("prod", {
        backup: { connection: { secret: "databaseUrl" }, services: ["api"] },
        watch: { windowSeconds: 900 },
        ledger: { s3: { bucket: "acme-evidence" } },
        notifications: { webhooks: [{ name: "chat", url: { secret: "chatUrl" } }] },
        errorBudget: {},
      });
      assert.strictEqual(cfg.gates.backup?.keep, 10);
      assert.strictEqual(cfg.gates.watch?.intervalSeconds, 15);
      assert.strictEqual(cfg.gates.ledger?.s3?.prefix, "fleetgate/ledger/");
      assert.deepStrictEqual(cfg.gates.notifications?.webhooks[0].on, ["success", "failure"]);
      assert.deepStrictEqual(cfg.gates.errorBudget?.environments, ["prod"]);
    });

    it("names the field and the fix", () => {
      assert.deepStrictEqual(issues({ backup: {} }), [
        "gates.backup.connection: is required (no PostgreSQL integrity gate to take it from); set { secret: databaseUrl }",
      ]);
      assert.deepStrictEqual(issues({ backup: { connection: "postgres://u:pw@h/db" } }), [
        "gates.backup.connection: the connection string holds a password in plain text; set it with `pulumi config set --secret` and use { secret: <key> }",
      ]);
      assert.deepStrictEqual(issues({ watch: { services: ["worker", "nope"] } }), [
        'gates.watch.services[0]: service "worker" has no healthCheckPath to sample; add one or remove it from the watch',
        'gates.watch.services[1]: unknown service "nope"; declare it under fleet.services',
      ]);
      assert.deepStrictEqual(issues({ watch: { windowSeconds: 10, intervalSeconds: 10 } }), [
        "gates.watch.intervalSeconds: must be shorter than windowSeconds (10 s) so the window holds more than one sample",
      ]);
      assert.deepStrictEqual(issues({ errorBudget: { override: { reason: "x" } } }), [
        "gates.errorBudget.override.reason: must say why the freeze is overridden (at least 10 characters), e.g. the incident fix being shipped",
      ]);
      assert.deepStrictEqual(issues({ errorBudget: { sloPercent: 100 } }), [
        "gates.errorBudget.sloPercent: must be below 100 (a 100 % objective has no budget to spend)",
      ]);
      assert.deepStrictEqual(
        issues({ notifications: { webhooks: [{ name: "chat", url: { secret: "missing" } }] } }),
        [
          'gates.notifications.webhooks[0].url: secret "missing" is not set; run: pulumi config set --secret fleetgate:missing <value>',
        ],
      );
    });
  });
});
