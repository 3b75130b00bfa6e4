/** A failed suite rolls the failed services back (fake platform rollback) and says so. */
import * as assert from "assert";
import type { RollbackTarget } from "../../components/platform";
import { runSuite, smokeSuiteChanges, SuiteCheck } from "../../providers/checks/smokeSuite";
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

  it("re-runs when the revision or the checks change, not when only rollback targets move", () => {
    const base = { targets: ["api"], revision: "r1", checks: checks(), retries: 1 };
    assert.deepStrictEqual(smokeSuiteChanges(base, { ...base }), []);
    assert.deepStrictEqual(smokeSuiteChanges(base, { ...base, revision: "r2" }), ["revision"]);
    const edited = checks();
    edited[1] = { ...edited[1], path: "/health" } as SuiteCheck;
    assert.deepStrictEqual(smokeSuiteChanges(base, { ...base, checks: edited }), ["checks"]);
    assert.deepStrictEqual(smokeSuiteChanges(base, { ...base, secrets: { api: { validKey: "rotated" } } }), [
      "secrets",
    ]);
  });
});
