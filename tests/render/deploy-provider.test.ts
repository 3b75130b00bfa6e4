/**
 * The `fleetgate:render:Deploy` handler in-process against the Render double: it deploys the
 * declared image; its diff re-runs it on an image, env version or run-setting change and when
 * Render's live deploy is not the recorded one (a rollback or a deploy made outside Pulumi); a
 * failed deploy fails naming its status; an empty 202 (deploy already queued) is handled.
 */
import * as assert from "assert";
import type { HandlerContext } from "../../provider/handler";
import { deployResource as h } from "../../provider/render/deploy";
import { rollback, rollbackDetailed } from "../../providers/render/rollback";
import { RenderDouble } from "../support/render-double";

const KEY = "rnd_deploy_test_key";

describe("render Deploy handler (deploy trigger and live check)", function () {
  this.timeout(60_000);
  let render: RenderDouble;
  const ctx: HandlerContext = {
    urn: "urn:pulumi:test::fleetgate::fleetgate:render:Deploy::api-deploy",
    name: "api-deploy",
    config: () => undefined,
    render: (i) => ({ baseUrl: i.baseUrl, apiKey: KEY, requestsPerSecond: 500 }),
  };

  before(async () => {
    render = await RenderDouble.start({ apiKey: KEY, deployPhaseMs: 15 });
  });
  after(() => render.close());
  afterEach(() => render.failDeploys.clear());

  async function service(): Promise<string> {
    const id = render.createServiceByHand({
      type: "web_service",
      name: `svc-${Math.random().toString(36).slice(2, 8)}`,
      ownerId: "tea-deploy",
      image: { imagePath: "ghcr.io/acme/api:1.0.0" },
    }).id;
    await render.settled(id);
    return id;
  }
  const inputs = (serviceId: string, over: Record<string, unknown> = {}) => ({
    serviceId,
    serviceName: "api",
    image: "ghcr.io/acme/api:1.0.0",
    envVersion: "v1",
    runSettings: { dockerCommand: "", plan: "starter" },
    baseUrl: render.url,
    pollIntervalMs: 20,
    timeoutSeconds: 10,
    ...over,
  });
  type Outs = Record<string, string>;

  it("deploys the declared image and records the deploy that is live", async () => {
    const id = await service();
    const before = render.liveDeployOf(id)!.id;
    const { outs } = await h.create(inputs(id, { image: "ghcr.io/acme/api:1.1.0" }), ctx);
    const o = outs as Outs;
    const live = render.liveDeployOf(id)!;
    assert.strictEqual(o.deployId, live.id);
    assert.strictEqual(o.previousDeployId, before);
    assert.strictEqual(o.status, "live");
    assert.strictEqual(live.image, "ghcr.io/acme/api:1.1.0");
    assert.strictEqual(o.liveImage, "ghcr.io/acme/api:1.1.0");
    // Nothing changed and ours is live: no diff (the image is compared normalized).
    const d = await h.diff("x", outs, inputs(id, { image: "ghcr.io/acme/api:1.1.0" }), ctx);
    assert.strictEqual(d.changes, false, JSON.stringify(d));
  });

  it("re-runs on a new env version or run setting, naming what changed", async () => {
    const id = await service();
    const { outs } = await h.create(inputs(id), ctx);
    const env = await h.diff("x", outs, inputs(id, { envVersion: "v2" }), ctx);
    assert.deepStrictEqual(env.detailedDiff, { envVersion: { kind: "update", inputDiff: true } });
    const run = await h.diff(
      "x",
      outs,
      inputs(id, { runSettings: { dockerCommand: "node server.js", plan: "starter" } }),
      ctx,
    );
    assert.deepStrictEqual(run.detailedDiff, {
      "runSettings.dockerCommand": { kind: "update", inputDiff: true },
    });
    const n = render.deploysOf(id).length;
    const { outs: o2 } = await h.update("x", outs, inputs(id, { envVersion: "v2" }), ctx);
    assert.strictEqual(render.deploysOf(id).length, n + 1, "a new deploy");
    assert.strictEqual((o2 as Outs).deployId, render.liveDeployOf(id)!.id);
    // A setting that shapes nothing (the wait bound) updates the state without deploying.
    const { outs: o3 } = await h.update("x", o2, inputs(id, { envVersion: "v2", timeoutSeconds: 20 }), ctx);
    assert.strictEqual(render.deploysOf(id).length, n + 1, "no deploy for a wait bound");
    assert.strictEqual((o3 as Outs).deployId, (o2 as Outs).deployId);
  });

  for (const [what, act] of [
    [
      "a deploy made outside Pulumi",
      (r: RenderDouble, id: string) => r.deployByHand(id, "ghcr.io/acme/api:0.9.0"),
    ],
    [
      "a rollback made outside Pulumi",
      (r: RenderDouble, id: string, prev: string) => r.rollbackByHand(id, prev),
    ],
  ] as const) {
    it(`${what}: diff reports it without a refresh and the update redeploys the declared image`, async () => {
      const id = await service();
      const { outs } = await h.create(inputs(id, { image: "ghcr.io/acme/api:1.2.0" }), ctx);
      act(render, id, (outs as Outs).previousDeployId);
      await render.settled(id);
      assert.notStrictEqual(render.liveDeployOf(id)!.image, "ghcr.io/acme/api:1.2.0");
      const d = await h.diff("x", outs, inputs(id, { image: "ghcr.io/acme/api:1.2.0" }), ctx);
      assert.deepStrictEqual(d.detailedDiff, { deployId: { kind: "update", inputDiff: false } });
      // Refresh shows it too: ours is deactivated, another is live.
      const r = await h.read("x", outs, ctx);
      assert.strictEqual(r!.props.status, "deactivated");
      assert.notStrictEqual(r!.props.liveDeployId, (outs as Outs).deployId);
      const { outs: o2 } = await h.update(
        "x",
        r!.props,
        inputs(id, { image: "ghcr.io/acme/api:1.2.0" }),
        ctx,
      );
      assert.strictEqual(render.liveDeployOf(id)!.image, "ghcr.io/acme/api:1.2.0");
      assert.strictEqual((o2 as Outs).deployId, render.liveDeployOf(id)!.id);
    });
  }

  it("the gate's rollback (custom API key secret name) makes the next diff redeploy", async () => {
    const id = await service();
    const { outs } = await h.create(inputs(id, { image: "ghcr.io/acme/api:2.0.0" }), ctx);
    const o = outs as Outs;
    const config = { get: (k: string) => (k === "fleetgate:teamRenderKey" ? KEY : undefined) };
    const saved = process.env.RENDER_API_KEY;
    delete process.env.RENDER_API_KEY;
    try {
      const result = await rollbackDetailed(
        {
          platform: "render",
          baseUrl: render.url,
          serviceId: id,
          previousDeployId: o.previousDeployId,
          apiKeyConfig: "teamRenderKey",
        },
        config as never,
        { timeoutMs: 5000, intervalMs: 20 },
      );
      assert.match(result.summary, /ghcr\.io\/acme\/api:1\.0\.0 is live/);
      assert.strictEqual(result.liveImage, "ghcr.io/acme/api:1.0.0", "the ledger can name what runs");
      assert.strictEqual(result.liveDeploy, render.liveDeployOf(id)!.id);
    } finally {
      if (saved !== undefined) process.env.RENDER_API_KEY = saved;
    }
    assert.strictEqual(render.liveDeployOf(id)!.image, "ghcr.io/acme/api:1.0.0");
    const d = await h.diff("x", outs, inputs(id, { image: "ghcr.io/acme/api:2.0.0" }), ctx);
    assert.strictEqual(d.changes, true, "declared image is not live: the next up redeploys");
  });

  it("a failed deploy fails naming its status and the deploy live before", async () => {
    const id = await service();
    const { outs } = await h.create(inputs(id), ctx);
    render.failDeploys.set(id, "update_failed");
    await assert.rejects(
      h.update("x", outs, inputs(id, { image: "ghcr.io/acme/api:3.0.0" }), ctx),
      (e: Error) => {
        assert.match(
          e.message,
          /service "api" \(.+\): deploy dep-\S+ of ghcr.io\/acme\/api:3.0.0 ended with status "update_failed"/,
        );
        assert.match(e.message, new RegExp(`previous live deploy was ${(outs as Outs).deployId}`));
        return true;
      },
    );
  });

  it("a pre-deploy failure fails with that status too", async () => {
    const id = await service();
    render.failDeploys.set(id, "pre_deploy_failed");
    await assert.rejects(h.create(inputs(id), ctx), /ended with status "pre_deploy_failed"/);
  });

  it("bounds the wait for a deploy", async () => {
    const id = await service();
    render.deployPhaseMs = 5000;
    try {
      await assert.rejects(
        h.create(inputs(id, { timeoutSeconds: 1, pollIntervalMs: 200 }), ctx),
        /service "api" .* is still "(queued|created|update_in_progress)" after 1 s/,
      );
    } finally {
      render.deployPhaseMs = 15;
    }
  });

  it("the rollback refuses a target without a previous deploy", async () => {
    await assert.rejects(
      rollback({ platform: "render", baseUrl: render.url, serviceId: "srv-x" }),
      /srv-x has no previous deploy to roll back to/,
    );
  });

  it("an empty 202 (a deploy already queued) ends with the declared image live", async () => {
    const id = await service();
    render.deployByHand(id, "ghcr.io/acme/api:0.1.0"); // running
    render.deployByHand(id, "ghcr.io/acme/api:0.2.0"); // queued behind it: POST /deploys answers 202
    const { outs } = await h.create(inputs(id, { image: "ghcr.io/acme/api:4.0.0" }), ctx);
    assert.ok(
      render.requests.some((r) => r.method === "POST" && r.status === 202),
      "the double answered 202",
    );
    assert.strictEqual(render.liveDeployOf(id)!.image, "ghcr.io/acme/api:4.0.0");
    assert.strictEqual((outs as Outs).deployId, render.liveDeployOf(id)!.id);
  });
});
