/**
 * The Service and Deploy providers and the rollback function in-process against the Render
 * double: create/update/scale/delete, replace on immutable fields, refresh drift, deploy statuses
 * (live, failed), the recorded previous deploy, and rolling back to it.
 */
import * as assert from "assert";
import { DeployInputs, DeployOutputs, deployProvider } from "../../providers/render/deploy";
import { rollback } from "../../providers/render/rollback";
import { RenderServiceInputs, RenderServiceOutputs, serviceProvider } from "../../providers/render/service";
import { RenderDouble } from "../support/render-double";

const KEY = "rnd_service_test_key";

describe("render Service and Deploy providers", function () {
  this.timeout(60_000);
  let render: RenderDouble;
  const saved = process.env.RENDER_API_KEY;

  before(async () => {
    render = await RenderDouble.start({ apiKey: KEY, deployPhaseMs: 20 });
    process.env.RENDER_API_KEY = KEY; // the key comes from the environment when config has none
    await serviceProvider.configure!({ config: { get: () => undefined, require: () => "" } });
  });
  after(async () => {
    if (saved === undefined) delete process.env.RENDER_API_KEY;
    else process.env.RENDER_API_KEY = saved;
    await render.close();
  });
  beforeEach(() => render.clearFaults());

  const web = (name: string, extra: Partial<RenderServiceInputs> = {}): RenderServiceInputs => ({
    name,
    serviceType: "web",
    image: "ghcr.io/acme/api:1.0.0",
    public: true,
    healthCheckPath: "/health",
    plan: "starter",
    region: "oregon",
    instances: 1,
    ownerId: "tea-test",
    baseUrl: render.url,
    requestsPerSecond: 1000,
    ...extra,
  });

  it("creates, updates (PATCH, scale), refreshes drift and deletes a web service", async () => {
    const { id, outs } = await serviceProvider.create(web("svc-crud", { dockerCommand: "node server.js" }));
    const created = outs as RenderServiceOutputs;
    assert.match(id, /^srv-/);
    assert.strictEqual(created.url, "https://svc-crud.onrender.com");
    assert.strictEqual(created.imagePath, "ghcr.io/acme/api:1.0.0");
    const live = render.services.get(id)!;
    assert.strictEqual(live.type, "web_service");
    assert.strictEqual(live.serviceDetails.envSpecificDetails.dockerCommand, "node server.js");

    // An unchanged config compares the image normalized: no diff.
    assert.strictEqual(
      (await serviceProvider.diff!(id, created, web("svc-crud", { dockerCommand: "node server.js" })))
        .changes,
      false,
    );

    render.resetRequests();
    const next = web("svc-crud", { image: "ghcr.io/acme/api:1.1.0", plan: "standard", instances: 3 });
    const updated = (await serviceProvider.update!(id, created, next)).outs as RenderServiceOutputs;
    assert.strictEqual(render.count("PATCH"), 1);
    assert.strictEqual(render.count("POST", `/services/${id}/scale`), 1);
    assert.strictEqual(live.serviceDetails.plan, "standard");
    assert.strictEqual(live.serviceDetails.numInstances, 3);
    assert.strictEqual(live.image.imagePath, "ghcr.io/acme/api:1.1.0");
    assert.strictEqual(render.count("POST", `/services/${id}/deploys`), 0, "a PATCH must not deploy");

    render.patchServiceByHand(id, { serviceDetails: { plan: "pro" } });
    const refreshed = await serviceProvider.read!(id, updated);
    assert.strictEqual((refreshed.props as RenderServiceOutputs).plan, "pro");
    assert.strictEqual(
      (await serviceProvider.diff!(id, refreshed.inputs as RenderServiceOutputs, next)).changes,
      true,
    );

    await serviceProvider.delete!(id, updated);
    assert.strictEqual(render.services.has(id), false);
    assert.deepStrictEqual(await serviceProvider.read!(id, updated), { id: "", props: {} });
    await serviceProvider.delete!(id, updated); // already gone: fine
  });

  it("replaces on type, region and owner (delete first when the name stays)", async () => {
    const base = web("svc-replace");
    const olds = { ...base, url: undefined, imagePath: "ghcr.io/acme/api:1.0.0", suspended: false };
    for (const [field, value] of [
      ["region", "frankfurt"],
      ["serviceType", "private"],
      ["ownerId", "tea-other"],
    ] as const) {
      const d = await serviceProvider.diff!("srv-x", olds, { ...base, [field]: value });
      assert.deepStrictEqual(d.replaces, [field]);
      assert.strictEqual(d.deleteBeforeReplace, true);
    }
  });

  it("creates worker and cron services and explains a duplicate name (409)", async () => {
    const worker = await serviceProvider.create(
      web("svc-worker", { serviceType: "worker", public: false, healthCheckPath: undefined }),
    );
    assert.strictEqual(render.services.get(worker.id)!.type, "background_worker");
    const cron = await serviceProvider.create(
      web("svc-cron", {
        serviceType: "cron",
        public: false,
        healthCheckPath: undefined,
        schedule: "0 * * * *",
      }),
    );
    assert.match(cron.id, /^crn-/);
    assert.strictEqual(render.services.get(cron.id)!.serviceDetails.schedule, "0 * * * *");
    await assert.rejects(
      serviceProvider.create(web("svc-worker", { serviceType: "worker" })),
      /service "svc-worker": Render API POST \/services answered 409: service already exists: svc-worker; .*pulumi import/,
    );
  });

  async function service(name: string): Promise<string> {
    return (await serviceProvider.create(web(name))).id;
  }
  const deployInputs = (
    serviceId: string,
    serviceName: string,
    extra: Partial<DeployInputs> = {},
  ): DeployInputs => ({
    serviceId,
    serviceName,
    image: "ghcr.io/acme/api:1.0.0",
    envVersion: "v1",
    baseUrl: render.url,
    requestsPerSecond: 1000,
    ...extra,
  });

  it("deploys the pinned image, waits until live, and records the previous deploy for rollback", async () => {
    const id = await service("svc-deploy");
    await new Promise((r) => setTimeout(r, 100)); // the creation deploy goes live
    const first = await deployProvider.create(deployInputs(id, "svc-deploy"));
    const outs = first.outs as DeployOutputs;
    assert.strictEqual(outs.status, "live");
    const creationDeploy = render.deploysOf(id)[1];
    assert.strictEqual(outs.previousDeployId, creationDeploy.id);

    const next = deployInputs(id, "svc-deploy", { image: "ghcr.io/acme/api:1.1.0" });
    assert.strictEqual((await deployProvider.diff!(first.id, outs, next)).changes, true);
    assert.strictEqual(
      (await deployProvider.diff!(first.id, outs, { ...deployInputs(id, "svc-deploy"), pollIntervalMs: 5 }))
        .changes,
      false,
    );
    const second = (await deployProvider.update!(first.id, outs, next)).outs as DeployOutputs;
    assert.strictEqual(second.previousDeployId, outs.deployId);
    assert.strictEqual(render.deploysOf(id)[0].image, "ghcr.io/acme/api:1.1.0");
    assert.strictEqual(render.deploysOf(id)[0].status, "live");

    // Refresh sees a deploy made outside Pulumi deactivate ours.
    await fetch(`${render.url}/services/${id}/deploys`, {
      method: "POST",
      headers: { Authorization: `Bearer ${KEY}`, "Content-Type": "application/json" },
      body: "{}",
    });
    await new Promise((r) => setTimeout(r, 120));
    assert.strictEqual(
      ((await deployProvider.read!(first.id, second)).props as DeployOutputs).status,
      "deactivated",
    );

    const message = await rollback(
      { platform: "render", baseUrl: render.url, serviceId: id, previousDeployId: second.previousDeployId },
      undefined,
      { timeoutMs: 5000, intervalMs: 50 },
    );
    assert.match(
      message,
      new RegExp(`rolled back ${id} to ${outs.deployId} \\(deploy dep-\\S+, image \\S+ is live\\)`),
    );
    const newest = render.deploysOf(id)[0];
    assert.strictEqual(newest.trigger, "rollback");
    assert.strictEqual(newest.image, "ghcr.io/acme/api:1.0.0");
    assert.strictEqual(newest.status, "live");
  });

  it("fails the update naming the service and the failure status", async () => {
    const id = await service("svc-failing");
    render.failDeploys.set("svc-failing", "update_failed");
    await assert.rejects(
      deployProvider.create(deployInputs(id, "svc-failing")),
      new RegExp(
        `service "svc-failing" \\(${id}\\): deploy dep-\\S+ of ghcr.io/acme/api:1.0.0 ended with status "update_failed"`,
      ),
    );
    render.failDeploys.set("svc-failing", "pre_deploy_failed");
    await assert.rejects(
      deployProvider.create(deployInputs(id, "svc-failing")),
      /ended with status "pre_deploy_failed"/,
    );
  });

  it("bounds the wait for a deploy", async () => {
    const id = await service("svc-slow");
    render.deployPhaseMs = 5000;
    try {
      await assert.rejects(
        deployProvider.create(deployInputs(id, "svc-slow", { timeoutSeconds: 1, pollIntervalMs: 200 })),
        /service "svc-slow" .* is still "(queued|created|update_in_progress)" after 1 s/,
      );
    } finally {
      render.deployPhaseMs = 20;
    }
  });

  it("refuses to roll back without a previous deploy", async () => {
    await assert.rejects(
      rollback({ platform: "render", baseUrl: render.url, serviceId: "srv-x" }),
      /srv-x has no previous deploy to roll back to/,
    );
  });
});
