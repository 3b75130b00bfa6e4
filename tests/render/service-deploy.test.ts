/**
 * The Deploy provider and the rollback function in-process against the Render double: deploy
 * statuses (live, failed), the recorded previous deploy, and rolling back to it. (The Service
 * resource is tested in service-provider.test.ts.)
 */
import * as assert from "assert";
import { DeployInputs, DeployOutputs, deployProvider } from "../../providers/render/deploy";
import { rollback } from "../../providers/render/rollback";
import { RenderDouble } from "../support/render-double";

const KEY = "rnd_service_test_key";

describe("render Deploy provider and rollback", function () {
  this.timeout(60_000);
  let render: RenderDouble;
  const saved = process.env.RENDER_API_KEY;

  before(async () => {
    render = await RenderDouble.start({ apiKey: KEY, deployPhaseMs: 20 });
    process.env.RENDER_API_KEY = KEY; // the key comes from the environment when config has none
    await deployProvider.configure!({ config: { get: () => undefined, require: () => "" } });
  });
  after(async () => {
    if (saved === undefined) delete process.env.RENDER_API_KEY;
    else process.env.RENDER_API_KEY = saved;
    await render.close();
  });
  beforeEach(() => render.clearFaults());

  /** A web service as made on Render (the Service resource has its own tests: service-provider.test.ts). */
  async function service(name: string): Promise<string> {
    return render.createServiceByHand({
      type: "web_service",
      name,
      ownerId: "tea-test",
      image: { imagePath: "ghcr.io/acme/api:1.0.0" },
      serviceDetails: { healthCheckPath: "/health" },
    }).id;
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
