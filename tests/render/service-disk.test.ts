/**
 * The persistent disk of `fleetgate:render:Service` in-process against the Render double: sent
 * with a new service, added to an existing one through `POST /disks`, grown through
 * `PATCH /disks/{id}`, a shrink refused naming `disk.sizeGB` with nothing written, drift read back,
 * `detailedDiff` naming `disk.<field>`, import, and a disk dropped from the config left on Render.
 */
import * as assert from "assert";
import { renderDiskPayload } from "../../config/disks";
import { HandlerContext } from "../../provider/handler";
import { serviceResource, ServiceInputs, ServiceOutputs } from "../../provider/render/service";
import { RenderDouble } from "../support/render-double";

const KEY = "rnd_disk_plugin_key";

describe("plugin: fleetgate:render:Service disks", function () {
  this.timeout(60_000);
  let render: RenderDouble;
  const ctx: HandlerContext = {
    urn: "urn:pulumi:test::fleetgate::fleetgate:render:Service::svc",
    name: "svc",
    render: (i) => ({ baseUrl: i.baseUrl, apiKey: KEY, requestsPerSecond: i.requestsPerSecond }),
    // Import by id reads the base URL from the stack's platform config.
    config: (k) => (k === "fleetgate:platform" ? JSON.stringify({ baseUrl: render.url }) : undefined),
  };

  before(async () => {
    // A page of one disk: reading the live disk must follow the cursor envelope.
    render = await RenderDouble.start({ apiKey: KEY, deployPhaseMs: 20, pageSize: 1 });
  });
  after(() => render.close());

  const worker = (name: string, extra: Partial<ServiceInputs> = {}): ServiceInputs => ({
    name,
    serviceType: "worker",
    image: "ghcr.io/acme/tsdb:1.0.0",
    region: "oregon",
    instances: 1,
    ownerId: "tea-test",
    baseUrl: render.url,
    ...extra,
  });
  const disk = (name: string, sizeGB: number, mountPath = "/var/lib/tsdb") =>
    renderDiskPayload({ name, disk: { mountPath, sizeGB } })!;
  const asProps = (i: object) => i as unknown as Record<string, unknown>;
  const failures = async (olds: object, news: object) =>
    (await serviceResource.check!(asProps(olds), asProps(news), ctx)).failures ?? [];

  it("creates a service with its disk in serviceDetails.disk (one POST, no /disks call)", async () => {
    render.resetRequests();
    const inputs = worker("tsdb-a", { disk: disk("tsdb-a", 10) });
    const { id, outs } = await serviceResource.create(asProps(inputs), ctx);
    const live = render.diskOf(id);
    assert.ok(live, "the double has a disk for the service");
    assert.deepStrictEqual(
      { name: live.name, mountPath: live.mountPath, sizeGB: live.sizeGB },
      { name: "tsdb-a-data", mountPath: "/var/lib/tsdb", sizeGB: 10 },
    );
    assert.strictEqual(render.services.get(id)!.serviceDetails.disk!.id, live.id);
    assert.strictEqual(render.count("POST", "/disks"), 0);
    assert.deepStrictEqual((outs as unknown as ServiceOutputs).disk, inputs.disk);
  });

  it("adds a disk to an existing service, grows it with PATCH, refuses a shrink before writing", async () => {
    const first = worker("tsdb-b");
    const { id, outs } = await serviceResource.create(asProps(first), ctx);
    assert.strictEqual(render.diskOf(id), undefined);

    const withDisk = worker("tsdb-b", { disk: disk("tsdb-b", 5) });
    const d1 = await serviceResource.diff(id, outs, asProps(withDisk), ctx);
    assert.deepStrictEqual(d1.detailedDiff, { disk: { kind: "add", inputDiff: true } });
    const u1 = await serviceResource.update(id, outs, asProps(withDisk), ctx);
    assert.strictEqual(render.count("POST", "/disks"), 1);
    assert.strictEqual(render.diskOf(id)!.sizeGB, 5);

    const bigger = worker("tsdb-b", { disk: disk("tsdb-b", 20) });
    const d2 = await serviceResource.diff(id, u1.outs, asProps(bigger), ctx);
    assert.deepStrictEqual(d2.detailedDiff, { "disk.sizeGB": { kind: "update", inputDiff: true } });
    assert.strictEqual((d2.replaces ?? []).length, 0, "a disk change never replaces the service");
    const diskId = render.diskOf(id)!.id;
    const u2 = await serviceResource.update(id, u1.outs, asProps(bigger), ctx);
    assert.strictEqual(render.count("PATCH", `/disks/${diskId}`), 1);
    assert.strictEqual(render.diskOf(id)!.sizeGB, 20);
    assert.strictEqual(render.diskOf(id)!.id, diskId, "same disk, grown in place");

    // check refuses against the recorded size (preview fails, nothing applied) ...
    const smaller = worker("tsdb-b", { disk: disk("tsdb-b", 8), plan: "standard" });
    const refused = await failures(u2.outs, smaller);
    assert.deepStrictEqual(
      refused.map((f) => f.property),
      ["disk"],
    );
    assert.match(
      refused[0].reason,
      /disk\.sizeGB cannot go from 20 GB down to 8 GB: Render grows a disk but never shrinks it; set disk\.sizeGB to 20 or more/,
    );
    // ... and update refuses against the live size, before the service PATCH.
    render.resetRequests();
    await assert.rejects(
      serviceResource.update(id, u2.outs, asProps(smaller), ctx),
      /service "tsdb-b" \(srv-[^)]+\): disk\.sizeGB cannot go from 20 GB down to 8 GB/,
    );
    assert.deepStrictEqual(
      render.requests.filter((r) => r.method !== "GET"),
      [],
      "nothing written",
    );
    assert.strictEqual(render.diskOf(id)!.sizeGB, 20);
    assert.strictEqual(render.services.get(id)!.serviceDetails.plan, "starter");
  });

  it("read reports a disk resized or moved outside Pulumi; the next update converges it", async () => {
    const inputs = worker("tsdb-c", { disk: disk("tsdb-c", 10) });
    const { id, outs } = await serviceResource.create(asProps(inputs), ctx);
    // Grown by hand in the dashboard, and mounted elsewhere.
    const live = render.diskOf(id)!;
    live.sizeGB = 15;
    live.mountPath = "/data";
    const r = await serviceResource.read(id, outs, ctx);
    assert.deepStrictEqual(r!.inputs!.disk, { name: "tsdb-c-data", mountPath: "/data", sizeGB: 15 });
    const d = await serviceResource.diff(id, r!.props, asProps(inputs), ctx);
    assert.deepStrictEqual(Object.keys(d.detailedDiff ?? {}).sort(), ["disk.mountPath", "disk.sizeGB"]);
    // The declared 10 GB is smaller than the live 15 GB: refused, naming the field.
    await assert.rejects(
      serviceResource.update(id, r!.props, asProps(inputs), ctx),
      /disk\.sizeGB cannot go from 15 GB down to 10 GB/,
    );
    const grown = worker("tsdb-c", { disk: disk("tsdb-c", 15) });
    await serviceResource.update(id, r!.props, asProps(grown), ctx);
    assert.deepStrictEqual(
      { mountPath: render.diskOf(id)!.mountPath, sizeGB: render.diskOf(id)!.sizeGB },
      { mountPath: "/var/lib/tsdb", sizeGB: 15 },
    );
    // Deleted by hand: read reports it gone, update creates it again.
    const gone = render.diskOf(id)!;
    render.disks.delete(gone.id);
    const r2 = await serviceResource.read(
      id,
      { ...outs, disk: grown.disk } as unknown as Record<string, unknown>,
      ctx,
    );
    assert.strictEqual(r2!.inputs!.disk, undefined);
    await serviceResource.update(id, r2!.props, asProps(grown), ctx);
    assert.strictEqual(render.diskOf(id)!.sizeGB, 15);
  });

  it("import reads the disk; a disk dropped from the config stays on Render", async () => {
    const inputs = worker("tsdb-d", { disk: disk("tsdb-d", 3) });
    const { id, outs } = await serviceResource.create(asProps(inputs), ctx);
    const imported = await serviceResource.read(id, undefined, ctx);
    assert.deepStrictEqual(imported!.inputs!.disk, {
      name: "tsdb-d-data",
      mountPath: "/var/lib/tsdb",
      sizeGB: 3,
    });
    const without = worker("tsdb-d");
    const d = await serviceResource.diff(id, outs, asProps(without), ctx);
    assert.deepStrictEqual(d.detailedDiff, { disk: { kind: "delete", inputDiff: true } });
    await serviceResource.update(id, outs, asProps(without), ctx);
    assert.strictEqual(render.diskOf(id)!.sizeGB, 3, "the disk and its data are kept");
  });

  it("check: a cron service cannot have a disk; bad mountPath and sizeGB name the field", async () => {
    const cron = worker("tsdb-e", { serviceType: "cron", schedule: "0 * * * *", disk: disk("tsdb-e", 1) });
    const c = await failures({}, cron);
    assert.deepStrictEqual(
      c.map((f) => f.property),
      ["disk"],
    );
    assert.match(c[0].reason, /Render attaches disks to web, private and worker services only/);
    const bad = await failures({}, worker("tsdb-e", { disk: { name: "x", mountPath: "data", sizeGB: 1 } }));
    assert.match(bad[0].reason, /disk\.mountPath must be an absolute directory path/);
    const zero = await failures({}, worker("tsdb-e", { disk: { name: "x", mountPath: "/data", sizeGB: 0 } }));
    assert.match(zero[0].reason, /disk\.sizeGB must be a whole number of GB, at least 1/);
  });
});
