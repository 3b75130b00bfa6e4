/**
 * The plugin's `fleetgate:render:Service` handler in-process against the Render double: check
 * (field errors naming the field, private services without health checks), create/update/scale/
 * delete, detailedDiff (replace on type, region, owner; image and baseUrl compared normalized),
 * run settings read from `envSpecificDetails`, adoption by name, the 409 message, import by id,
 * registry credentials, and "gone" only on Render's own not-found.
 */
import * as assert from "assert";
import * as http from "http";
import { AddressInfo } from "net";
import { HandlerContext } from "../../provider/handler";
import { registryCredentialResource } from "../../provider/render/registryCredential";
import { serviceResource, ServiceInputs, ServiceOutputs } from "../../provider/render/service";
import { RenderDouble } from "../support/render-double";

const KEY = "rnd_service_plugin_key";

describe("plugin: fleetgate:render:Service", function () {
  this.timeout(60_000);
  let render: RenderDouble;
  let config: Record<string, string> = {};
  const ctx: HandlerContext = {
    urn: "urn:pulumi:test::fleetgate::fleetgate:render:Service::svc",
    name: "svc",
    render: (i) => ({ baseUrl: i.baseUrl, apiKey: KEY, requestsPerSecond: i.requestsPerSecond }),
    config: (k) => config[k],
  };

  before(async () => {
    render = await RenderDouble.start({ apiKey: KEY, deployPhaseMs: 20 });
  });
  after(() => render.close());
  beforeEach(() => {
    render.clearFaults();
    config = {};
  });

  const web = (name: string, extra: Partial<ServiceInputs> = {}): ServiceInputs => ({
    name,
    serviceType: "web",
    image: "ghcr.io/acme/api:1.0.0",
    healthCheckPath: "/health",
    plan: "starter",
    region: "oregon",
    instances: 1,
    ownerId: "tea-test",
    baseUrl: render.url,
    ...extra,
  });
  const asProps = (i: object) => i as unknown as Record<string, unknown>;
  const create = async (i: ServiceInputs) => {
    const r = await serviceResource.create(asProps(i), ctx);
    return { id: r.id, outs: r.outs as unknown as ServiceOutputs };
  };
  const diff = (olds: object, news: object) =>
    serviceResource.diff("srv-x", asProps(olds), asProps(news), ctx);

  it("check names the field: a private service with healthCheckPath, a cron without schedule, a bad owner", async () => {
    const failures = async (i: Partial<ServiceInputs>) =>
      (await serviceResource.check!({}, asProps({ ...web("svc-check"), ...i }), ctx)).failures ?? [];
    assert.deepStrictEqual(await failures({}), []);
    const priv = await failures({ serviceType: "private" });
    assert.deepStrictEqual(
      priv.map((f) => f.property),
      ["healthCheckPath"],
    );
    assert.match(priv[0].reason, /Render health-checks only web services; remove healthCheckPath/);
    assert.deepStrictEqual(
      (await failures({ serviceType: "cron", healthCheckPath: undefined })).map((f) => f.property),
      ["schedule"],
    );
    assert.deepStrictEqual(
      (await failures({ ownerId: "acme", instances: -1 })).map((f) => f.property).sort(),
      ["instances", "ownerId"],
    );
    // Unknown values (preview) are not judged.
    const unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
    assert.deepStrictEqual(await failures({ ownerId: unknown, image: unknown }), []);
  });

  it("creates, updates (PATCH, scale), refreshes drift and deletes a web service", async () => {
    const { id, outs: created } = await create(web("svc-crud", { dockerCommand: "node server.js" }));
    assert.match(id, /^srv-/);
    assert.strictEqual(created.url, "https://svc-crud.onrender.com");
    const live = render.services.get(id)!;
    assert.strictEqual(live.type, "web_service");
    assert.strictEqual(live.serviceDetails.envSpecificDetails.dockerCommand, "node server.js");

    // Unchanged config, image spelled differently but the same once normalized: no diff.
    const same = await diff(
      created,
      web("svc-crud", { dockerCommand: "node server.js", image: "ghcr.io/acme/api:1.0.0" }),
    );
    assert.strictEqual(same.changes, false);

    render.resetRequests();
    const next = web("svc-crud", {
      image: "ghcr.io/acme/api:1.1.0",
      plan: "standard",
      instances: 3,
      preDeployCommand: "npm run migrate",
    });
    const d = await diff(created, next);
    assert.deepStrictEqual(Object.keys(d.detailedDiff!).sort(), [
      "dockerCommand",
      "image",
      "instances",
      "plan",
      "preDeployCommand",
    ]);
    assert.strictEqual(d.detailedDiff!.preDeployCommand.kind, "add");
    assert.strictEqual(d.detailedDiff!.dockerCommand.kind, "delete");
    assert.deepStrictEqual(d.replaces, []);
    const updated = (await serviceResource.update(id, asProps(created), asProps(next), ctx))
      .outs as unknown as ServiceOutputs;
    assert.strictEqual(render.count("PATCH"), 1);
    assert.strictEqual(render.count("POST", `/services/${id}/scale`), 1);
    assert.strictEqual(live.serviceDetails.plan, "standard");
    assert.strictEqual(live.serviceDetails.numInstances, 3);
    assert.strictEqual(live.image.imagePath, "ghcr.io/acme/api:1.1.0");
    assert.strictEqual(live.serviceDetails.envSpecificDetails.preDeployCommand, "npm run migrate");
    assert.strictEqual(render.count("POST", `/services/${id}/deploys`), 0, "a PATCH must not deploy");

    // Refresh reads run settings where Render returns them: no perpetual diff.
    const refreshed = (await serviceResource.read(id, asProps(updated), ctx))!;
    assert.strictEqual((await diff(refreshed.inputs!, next)).changes, false);
    render.patchServiceByHand(id, { serviceDetails: { plan: "pro" } });
    const drifted = (await serviceResource.read(id, asProps(updated), ctx))!;
    assert.strictEqual((drifted.props as unknown as ServiceOutputs).plan, "pro");
    assert.deepStrictEqual(Object.keys((await diff(drifted.inputs!, next)).detailedDiff!), ["plan"]);

    await serviceResource.delete(id, asProps(updated), ctx);
    assert.strictEqual(render.services.has(id), false);
    assert.strictEqual(await serviceResource.read(id, asProps(updated), ctx), undefined);
    await serviceResource.delete(id, asProps(updated), ctx); // already gone: fine
  });

  it("replaces on type, region and owner (delete first when the name stays); baseUrl only when it really changes", async () => {
    const base = web("svc-replace");
    const olds = { ...base, imagePath: "ghcr.io/acme/api:1.0.0", suspended: false };
    for (const [field, value] of [
      ["region", "frankfurt"],
      ["serviceType", "worker"],
      ["ownerId", "tea-other"],
    ] as const) {
      const d = await diff(olds, { ...base, [field]: value });
      assert.deepStrictEqual(d.replaces, [field]);
      assert.strictEqual(d.detailedDiff![field].kind, "updateReplace");
      assert.strictEqual(d.deleteBeforeReplace, true);
    }
    const cosmetic = render.url.replace("http://127.0.0.1", "HTTP://127.0.0.1") + "/";
    assert.strictEqual((await diff(olds, { ...base, baseUrl: cosmetic })).changes, false);
    assert.deepStrictEqual((await diff(olds, { ...base, baseUrl: "https://api.render.com/v1" })).replaces, [
      "baseUrl",
    ]);
    // A rename is an update in place (the URL's service stays).
    const renamed = await diff(olds, { ...base, name: "svc-renamed" });
    assert.deepStrictEqual(renamed.replaces, []);
    assert.strictEqual(renamed.detailedDiff!.name.kind, "update");
  });

  it("explains a duplicate name (409) naming adoption, and adopts by name when asked", async () => {
    const existing = render.createServiceByHand({
      type: "background_worker",
      name: "svc-existing",
      ownerId: "tea-test",
      image: { imagePath: "ghcr.io/acme/api:0.9.0" },
    });
    const worker = web("svc-existing", { serviceType: "worker", healthCheckPath: undefined });
    await assert.rejects(
      create(worker),
      /service "svc-existing": Render API POST \/services answered 409: .*set `adopt: true` on this service \(or `platform.adopt: true`/,
    );
    const posts = render.count("POST", "/services");
    const adopted = await create({ ...worker, adopt: true });
    assert.strictEqual(adopted.id, existing.id);
    assert.strictEqual(adopted.outs.adopted, true);
    assert.strictEqual(render.count("POST", "/services"), posts, "no service created");
    assert.strictEqual(render.services.get(existing.id)!.image.imagePath, "ghcr.io/acme/api:1.0.0");
    // Adoption refuses a type mismatch, naming the field.
    await assert.rejects(
      create({ ...web("svc-existing"), adopt: true }),
      /declares serviceType "web"; fix serviceType/,
    );
  });

  it("imports by id: inputs from the live service, the base URL from the stack's platform config", async () => {
    const made = render.createServiceByHand({
      type: "private_service",
      name: "svc-import",
      ownerId: "tea-test",
      image: { imagePath: "nginx" },
      serviceDetails: { healthCheckPath: "/ignored", preDeployCommand: "migrate" },
    });
    config = { "fleetgate:platform": JSON.stringify({ kind: "render", baseUrl: render.url }) };
    const r = (await serviceResource.read(made.id, undefined, ctx))!;
    const inputs = r.inputs as unknown as ServiceInputs;
    assert.strictEqual(inputs.serviceType, "private");
    assert.strictEqual(inputs.image, "docker.io/library/nginx:latest");
    assert.strictEqual(inputs.healthCheckPath, undefined, "private services have no health check");
    assert.strictEqual(inputs.preDeployCommand, "migrate");
    assert.strictEqual(inputs.baseUrl, render.url);
  });

  it("sets a registry credential for a private image and reads it back", async () => {
    const res = await fetch(`${render.url}/registrycredentials`, {
      method: "POST",
      headers: { Authorization: `Bearer ${KEY}`, "Content-Type": "application/json" },
      body: JSON.stringify({
        registry: "GITHUB",
        name: "ghcr",
        username: "acme-bot",
        authToken: "ghp_x",
        ownerId: "tea-test",
      }),
    });
    const credential = (await res.json()) as { id: string };
    const { id, outs } = await create(web("svc-private-image", { registryCredentialId: credential.id }));
    assert.strictEqual(
      render.services.get(id)!.serviceDetails.envSpecificDetails.registryCredential?.id,
      credential.id,
    );
    const read = (await serviceResource.read(id, asProps(outs), ctx))!;
    assert.strictEqual((read.inputs as unknown as ServiceInputs).registryCredentialId, credential.id);
    assert.strictEqual(
      (await diff(read.inputs!, web("svc-private-image", { registryCredentialId: credential.id }))).changes,
      false,
    );
  });

  it("manages a registry credential: token secret in the state, PATCH on change, replace on owner, delete", async () => {
    const creds = {
      name: "ghcr",
      registry: "GITHUB",
      username: "bot",
      authToken: "ghp_one",
      ownerId: "tea-test",
      baseUrl: render.url,
    };
    const failures = (
      await registryCredentialResource.check!({}, asProps({ ...creds, registry: "QUAY" }), ctx)
    ).failures!;
    assert.deepStrictEqual(
      failures.map((f) => f.property),
      ["registry"],
    );
    const { id, outs } = await registryCredentialResource.create(asProps(creds), ctx);
    assert.match(id, /^rgc-/);
    assert.strictEqual(render.registryCredentials.get(id)!.authToken, "ghp_one");
    // The token is stored as a secret (the engine encrypts it), never as plain text.
    assert.deepStrictEqual(outs.authToken, {
      "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
      value: "ghp_one",
    });
    const rotated = { ...creds, authToken: "ghp_two" };
    const d = await registryCredentialResource.diff(id, outs, asProps(rotated), ctx);
    assert.deepStrictEqual(Object.keys(d.detailedDiff!), ["authToken"]);
    assert.deepStrictEqual(d.replaces, []);
    assert.deepStrictEqual(
      (await registryCredentialResource.diff(id, outs, asProps({ ...creds, ownerId: "tea-other" }), ctx))
        .replaces,
      ["ownerId"],
    );
    await registryCredentialResource.update(id, outs, asProps(rotated), ctx);
    assert.strictEqual(render.registryCredentials.get(id)!.authToken, "ghp_two");
    const read = (await registryCredentialResource.read(
      id,
      asProps({
        ...rotated,
        authToken: {
          "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
          value: "ghp_two",
        },
      }),
      ctx,
    ))!;
    assert.strictEqual(
      (await registryCredentialResource.diff(id, read.props, asProps(rotated), ctx)).changes,
      false,
    );
    await registryCredentialResource.delete(id, outs, ctx);
    assert.strictEqual(render.registryCredentials.has(id), false);
    assert.strictEqual(await registryCredentialResource.read(id, outs, ctx), undefined);
  });

  it("a 404 that is not Render's own not-found (a proxy, a wrong path) is an error, never 'gone'", async () => {
    const { id, outs } = await create(web("svc-proxy"));
    render.addFault({
      method: "GET",
      path: `/services/${id}`,
      status: 404,
      body: "<html><title>404 Not Found</title></html>",
      contentType: "text/html",
    });
    await assert.rejects(serviceResource.read(id, asProps(outs), ctx), /answered 404: an HTML page/);
    // A server that answers Render-like 404s for everything (wrong base path): the probe fails too.
    const proxy = http.createServer((_q, s) => {
      s.writeHead(404, { "Content-Type": "application/json" });
      s.end(JSON.stringify({ message: `not found: ${id}` }));
    });
    await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", r));
    try {
      const wrongBase = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/v1`;
      await assert.rejects(
        serviceResource.read(id, asProps({ ...outs, baseUrl: wrongBase }), ctx),
        /answered 404: not found/,
      );
    } finally {
      await new Promise<void>((r) => proxy.close(() => r()));
    }
    assert.ok(render.services.has(id));
  });
});
