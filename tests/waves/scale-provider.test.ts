/**
 * The Render Scale step (`fleetgate:render:Scale`, served by the fleetgate plugin) against the
 * Render double, in process: what it sends, when it runs again (diff), what refresh reads, retries
 * of a 5xx, and errors that name the service.
 */
import * as assert from "assert";
import { HandlerContext, Props } from "../../provider/handler";
import { scaleResource, ScaleInputs, ScaleOutputs } from "../../provider/render/scale";
import { RenderDouble } from "../support/render-double";

const KEY = "rnd_scale_test";

const ctx: HandlerContext = {
  urn: "urn:pulumi:test::fleetgate::fleetgate:render:Scale::s",
  name: "s",
  render: (i) => ({ baseUrl: i.baseUrl, apiKey: KEY, requestsPerSecond: i.requestsPerSecond }),
  config: () => undefined,
};
const p = (o: object) => o as unknown as Props;
/** The handler with the call shapes of a provider, for the cases below. */
const scaleProvider = {
  create: async (i: ScaleInputs) => {
    const r = await scaleResource.create(p(i), ctx);
    return { id: r.id, outs: r.outs as unknown as ScaleOutputs };
  },
  diff: (id: string, olds: object, news: object) => scaleResource.diff(id, p(olds), p(news), ctx),
  update: (id: string, olds: object, news: object) => scaleResource.update(id, p(olds), p(news), ctx),
  read: async (id: string, props: object) => scaleResource.read(id, p(props), ctx),
};

describe("render Scale step (Render double)", function () {
  this.timeout(30_000);
  let render: RenderDouble;
  let savedKey: string | undefined;
  let serviceId: string;

  const inputs = (extra: Partial<ScaleInputs> = {}): ScaleInputs => ({
    serviceId,
    serviceName: "embedder",
    phase: "down",
    numInstances: 0,
    revision: "rev1",
    baseUrl: render.url,
    requestsPerSecond: 100,
    ...extra,
  });
  const instances = () => render.services.get(serviceId)!.serviceDetails.numInstances;

  before(async () => {
    render = await RenderDouble.start({ apiKey: KEY });
    savedKey = process.env.RENDER_API_KEY;
    process.env.RENDER_API_KEY = KEY;
  });
  after(async () => {
    if (savedKey === undefined) delete process.env.RENDER_API_KEY;
    else process.env.RENDER_API_KEY = savedKey;
    await render.close();
  });
  beforeEach(() => {
    serviceId = render.createServiceByHand({
      type: "background_worker",
      name: `embedder-${Math.random().toString(36).slice(2, 8)}`,
      ownerId: "tea-scale",
      image: { imagePath: "ghcr.io/h/embedder:0.9.0" },
      serviceDetails: { numInstances: 3 },
    }).id;
    render.resetRequests();
    render.clearFaults();
  });

  it("create scales the service with one POST /scale and records it", async () => {
    const created = await scaleProvider.create(inputs());
    assert.strictEqual(created.id, `${serviceId}-scale-down`);
    assert.strictEqual(instances(), 0);
    assert.deepStrictEqual(
      render.requests.map((r) => [r.method, r.path, r.status]),
      [["POST", `/services/${serviceId}/scale`, 202]],
    );
    assert.strictEqual(created.outs.liveInstances, 0);
    assert.ok(!("apiKeyConfig" in created.outs), "no undefined fields in the outputs");

    const up = await scaleProvider.create(inputs({ phase: "up", numInstances: 3 }));
    assert.strictEqual(up.id, `${serviceId}-scale-up`);
    assert.strictEqual(instances(), 3);
  });

  it("runs again only when the revision, count, phase or service changes", async () => {
    const { outs } = await scaleProvider.create(inputs());
    const diff = (news: ScaleInputs) => scaleProvider.diff(`${serviceId}-scale-down`, outs, news);
    assert.strictEqual((await diff(inputs())).changes, false);
    assert.strictEqual((await diff(inputs({ requestsPerSecond: 5 }))).changes, false);
    assert.strictEqual((await diff(inputs({ revision: "rev2" }))).changes, true);
    assert.strictEqual((await diff(inputs({ numInstances: 1 }))).changes, true);
    assert.strictEqual((await diff(inputs({ serviceId: "srv-other" }))).changes, true);

    render.patchServiceByHand(serviceId, { serviceDetails: { numInstances: 2 } });
    render.resetRequests();
    await scaleProvider.update(`${serviceId}-scale-down`, outs, inputs({ revision: "rev2" }));
    assert.strictEqual(instances(), 0);
    assert.strictEqual(render.count("POST", `/services/${serviceId}/scale`), 1);
  });

  it("refresh records the live count and forgets the step when the service is gone", async () => {
    const { id, outs } = await scaleProvider.create(inputs());
    render.patchServiceByHand(serviceId, { serviceDetails: { numInstances: 4 } });
    const read = (await scaleProvider.read(id, outs))!;
    assert.strictEqual(read.id, id);
    assert.strictEqual((read.props as unknown as ScaleOutputs).liveInstances, 4);
    assert.strictEqual(
      (read.props as unknown as ScaleOutputs).numInstances,
      0,
      "the step's own input is kept",
    );

    render.services.delete(serviceId);
    assert.strictEqual(await scaleProvider.read(id, outs), undefined);
  });

  it("retries a 503 (the count is absolute) and names the service when Render refuses", async () => {
    render.addFault({ method: "POST", path: /\/scale$/, status: 503, times: 1 });
    await scaleProvider.create(inputs());
    assert.strictEqual(render.count("POST", `/services/${serviceId}/scale`), 2);
    assert.strictEqual(instances(), 0);

    render.addFault({
      method: "POST",
      path: /\/scale$/,
      status: 400,
      body: '{"message":"plan allows 1 instance"}',
    });
    await assert.rejects(scaleProvider.create(inputs({ phase: "up", numInstances: 3 })), (e: Error) => {
      assert.match(
        e.message,
        new RegExp(
          `service "embedder" \\(${serviceId}\\): scale up to 3 instance\\(s\\) failed: Render API POST /services/${serviceId}/scale answered 400: plan allows 1 instance`,
        ),
      );
      assert.ok(!e.message.includes(KEY));
      return true;
    });
  });
});
