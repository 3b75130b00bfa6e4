/**
 * The smoke gate with the Render platform's real rollback (providers/render/rollback.ts, loaded
 * the way the Fleet loads it) against the Render test double: a failed check rolls the service
 * back to its previous deploy through POST /rollback, and the failure message says so.
 */
import * as assert from "assert";
import { platformRollback } from "../../components/gates";
import { runSuite } from "../../providers/checks/smokeSuite";
import { HttpFixtures, startHttpFixtures } from "../support/http-fixtures";
import { RenderDouble } from "../support/render-double";

const API_KEY = "rnd_gates_test_key";

describe("smoke suite: rollback through the Render platform", () => {
  let render: RenderDouble;
  let fx: HttpFixtures;

  before(async () => {
    render = await RenderDouble.start({ apiKey: API_KEY, deployPhaseMs: 10 });
    fx = await startHttpFixtures();
  });
  after(async () => {
    await render?.close();
    await fx?.close();
  });

  /** A service with two live-in-turn deploys: the first is the one to roll back to. */
  async function serviceWithTwoDeploys(): Promise<{ id: string; previous: string }> {
    const svc = render.createServiceByHand({
      type: "web_service",
      name: `api-${Date.now()}`,
      ownerId: "tea-test",
      image: { imagePath: "ghcr.io/x/api:1.0.0" },
    });
    const waitLive = async () => {
      for (let i = 0; i < 100 && render.deploysOf(svc.id)[0]?.status !== "live"; i++) {
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    await waitLive();
    const previous = render.deploysOf(svc.id)[0].id;
    const res = await fetch(`${render.url}/services/${svc.id}/deploys`, {
      method: "POST",
      headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" },
      body: "{}",
    });
    assert.ok(res.status === 201 || res.status === 202, `deploy answered ${res.status}`);
    await waitLive();
    return { id: svc.id, previous };
  }

  it("rolls the failed service back to its previous deploy and names it in the failure", async () => {
    const { id, previous } = await serviceWithTwoDeploys();
    const before = render.count("POST", /\/rollback$/);
    const saved = process.env.RENDER_API_KEY;
    process.env.RENDER_API_KEY = API_KEY;
    try {
      const state = {
        targets: ["api"],
        revision: "r2",
        checks: [
          {
            name: "api-health",
            kind: "http" as const,
            target: "api",
            path: "/500",
            url: `${fx.url}/500`,
            timeoutMs: 2000,
            expectStatus: 200,
          },
        ],
        retries: 0,
        rollbackOnFailure: true,
        rollbackTargets: {
          api: {
            platform: "render" as const,
            baseUrl: render.url,
            serviceId: id,
            previousDeployId: previous,
          },
        },
      };
      await assert.rejects(runSuite(state, platformRollback("render")), (e: Error) => {
        assert.match(e.message, /api-health\s+api\s+FAIL/);
        assert.match(
          e.message,
          new RegExp(`Rolled back to the previous deploy:\\n {2}- api: rolled back ${id} to ${previous}`),
        );
        assert.ok(!e.message.includes(API_KEY));
        return true;
      });
    } finally {
      if (saved === undefined) delete process.env.RENDER_API_KEY;
      else process.env.RENDER_API_KEY = saved;
    }
    assert.strictEqual(render.count("POST", /\/rollback$/) - before, 1);
    assert.strictEqual(render.deploysOf(id)[0].status, "live");
    assert.strictEqual(render.deploysOf(id)[0].trigger, "rollback");
  });
});
