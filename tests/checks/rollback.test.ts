/** A failed suite rolls the failed services back (fake platform rollback) and says so. */
import * as assert from "assert";
import type { RollbackTarget } from "../../components/platform";
import * as fs from "fs";
import * as path from "path";
import { readRecords } from "../../lib/ledger/file";
import type { DeployRecord } from "../../lib/ledger/record";
import { UNKNOWN_LIVE_IMAGE } from "../../providers/checks/rollback";
import { runSuite, smokeSuiteChanges, SuiteCheck } from "../../providers/checks/smokeSuite";
import { tempDir } from "../support/engine";
import { HttpFixtures, startHttpFixtures } from "../support/http-fixtures";

describe("smoke suite: rollback and re-run rules", () => {
  let fx: HttpFixtures;
  before(async () => {
    fx = await startHttpFixtures();
  });
  after(() => fx.close());

  const checks = (): SuiteCheck[] => [
    {
      name: "api",
      kind: "http",
      target: "api",
      path: "/500",
      url: `${fx.url}/500`,
      timeoutMs: 2000,
      expectStatus: 200,
    },
    {
      name: "web",
      kind: "http",
      target: "web",
      path: "/ok",
      url: `${fx.url}/ok`,
      timeoutMs: 2000,
      expectStatus: 200,
    },
    {
      name: "partner",
      kind: "http",
      target: "partner",
      path: "/500",
      url: `${fx.url}/500`,
      timeoutMs: 2000,
      expectStatus: 200,
    },
    {
      name: "worker",
      kind: "http",
      target: "worker",
      path: "/500",
      url: `${fx.url}/500`,
      timeoutMs: 2000,
      expectStatus: 200,
    },
  ];
  const targets: Record<string, RollbackTarget> = {
    api: {
      platform: "render",
      baseUrl: "http://render.invalid/v1",
      serviceId: "srv-api",
      previousDeployId: "dep-1",
    },
    web: {
      platform: "render",
      baseUrl: "http://render.invalid/v1",
      serviceId: "srv-web",
      previousDeployId: "dep-2",
    },
    worker: { platform: "render", baseUrl: "http://render.invalid/v1", serviceId: "srv-wrk" },
  };

  it("rolls back only failed services, reports targets it cannot roll back, then fails", async () => {
    const calls: RollbackTarget[] = [];
    const rollback = async (t: RollbackTarget) => {
      calls.push(t);
      if (t.platform === "render" && !t.previousDeployId)
        throw new Error("no previous deploy to roll back to");
      return `rolled back ${t.platform === "render" ? t.serviceId : ""} to ${t.platform === "render" ? t.previousDeployId : ""}`;
    };
    const state = {
      targets: ["api", "web", "partner", "worker"],
      revision: "r2",
      checks: checks(),
      retries: 0,
      rollbackOnFailure: true,
      rollbackTargets: targets,
    };
    await assert.rejects(runSuite(state, rollback), (e: Error) => {
      assert.match(e.message, /smoke suite failed: 3 of 4 checks failed: api, partner, worker/);
      assert.match(e.message, /Rolled back to the previous deploy:\n {2}- api: rolled back srv-api to dep-1/);
      assert.match(
        e.message,
        /Not rolled back:\n {2}- partner: not rolled back \(not a service of this fleet/,
      );
      assert.match(e.message, /- worker: rollback failed: no previous deploy to roll back to/);
      return true;
    });
    assert.deepStrictEqual(calls.map((c) => (c.platform === "render" ? c.serviceId : "")).sort(), [
      "srv-api",
      "srv-wrk",
    ]);
  });

  it("records a rollback as rolled-back with the image live again, never as succeeded", async () => {
    const dir = tempDir("rollback-ledger");
    try {
      const ledger = path.join(dir, "ledger.jsonl");
      const evidence = {
        file: ledger,
        stack: "dev",
        fleet: "f",
        environment: "dev",
        revision: "r2",
        images: { api: "ghcr.io/x/api:2.0.0", web: "ghcr.io/x/web:2.0.0" },
        webhooks: [],
        notifyTimeoutMs: 1000,
      };
      const state = {
        targets: ["api", "web"],
        revision: "r2",
        deployments: { api: "api:2", web: "web:2" },
        checks: checks().slice(0, 2),
        retries: 0,
        rollbackOnFailure: true,
        rollbackTargets: targets,
        evidence,
      };
      const live = async () => ({ summary: "back to dep-1", liveImage: "ghcr.io/x/api:1.0.0" });
      await assert.rejects(runSuite(state, live), /Rolled back to the previous deploy/);
      // A platform that only returns a summary: the live image is recorded as unknown.
      await assert.rejects(
        runSuite(state, async () => "back"),
        /Rolled back/,
      );
      // A rollback that fails leaves the record `failed`.
      await assert.rejects(
        runSuite({ ...state, rollbackTargets: {} }, live),
        /not rolled back \(not a service of this fleet/,
      );
      const records = readRecords(ledger).records as DeployRecord[];
      assert.deepStrictEqual(
        records.map((r) => r.outcome),
        ["rolled-back", "rolled-back", "failed"],
      );
      assert.deepStrictEqual(records[0].images, { api: "ghcr.io/x/api:1.0.0", web: "ghcr.io/x/web:2.0.0" });
      assert.deepStrictEqual(records[0].declaredImages, evidence.images);
      assert.deepStrictEqual(records[0].deployments, { api: "api:2", web: "web:2" });
      assert.strictEqual(records[1].images.api, UNKNOWN_LIVE_IMAGE);
      assert.deepStrictEqual(records[2].images, evidence.images, "nothing rolled back: the new images run");
      assert.ok(!fs.readFileSync(ledger, "utf8").includes('"succeeded"'));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("does not roll back without rollbackOnFailure, and says so", async () => {
    let called = false;
    const state = {
      targets: ["api"],
      revision: "r2",
      checks: checks().slice(0, 1),
      retries: 0,
      rollbackOnFailure: false,
      rollbackTargets: targets,
    };
    await assert.rejects(
      runSuite(state, async () => {
        called = true;
        return "";
      }),
      /Nothing was rolled back \(gates\.smoke\.rollbackOnFailure is false\)/,
    );
    assert.strictEqual(called, false);
  });

  it("re-runs when a covered service was deployed or the checks change, not on the revision alone", () => {
    const base = {
      targets: ["api"],
      revision: "r1",
      deployments: { api: "api:1" },
      checks: checks(),
      retries: 1,
    };
    assert.deepStrictEqual(smokeSuiteChanges(base, { ...base }), []);
    assert.deepStrictEqual(smokeSuiteChanges(base, { ...base, revision: "r2" }), []);
    assert.deepStrictEqual(smokeSuiteChanges(base, { ...base, deployments: { api: "api:2" } }), [
      "deployments",
    ]);
    const edited = checks();
    edited[1] = { ...edited[1], path: "/health" } as SuiteCheck;
    assert.deepStrictEqual(smokeSuiteChanges(base, { ...base, checks: edited }), ["checks"]);
    assert.deepStrictEqual(smokeSuiteChanges(base, { ...base, secrets: { api: { validKey: "rotated" } } }), [
      "secrets",
    ]);
  });
});
