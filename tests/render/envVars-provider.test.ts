/**
 * The `fleetgate:render:EnvVars` handler in-process against the Render double: one complete set
 * per service, foreign keys kept, owned keys no longer declared removed, key-level diffs that
 * never carry a value, drift seen by `diff` without a refresh, fail-closed reads, a version that
 * changes with any value, the per-service plan (renames and moves lose no key), delete.
 */
import * as assert from "assert";
import type { HandlerContext } from "../../provider/handler";
import { planServiceEnv } from "../../components/render/envPlan";
import type { EnvSetConfig, ServiceConfig } from "../../config/schema";
import { describeDifference, redact } from "../../provider/render/envPush";
import { envVarsResource as h, envVersion } from "../../provider/render/envVars";
import { reveal } from "../../provider/render/wire";
import { RenderDouble } from "../support/render-double";

const KEY = "rnd_envvars_test_key";
const CANARY = "canary-5b1e-envvars-do-not-print";
const CANARY_2 = "canary-9c2d-envvars-second";

describe("render EnvVars handler (one complete set per service)", function () {
  this.timeout(60_000);
  let render: RenderDouble;
  const ctx: HandlerContext = {
    urn: "urn:pulumi:test::fleetgate::fleetgate:render:EnvVars::api-env",
    name: "api-env",
    config: () => undefined,
    render: (i) => ({
      baseUrl: i.baseUrl,
      apiKey: KEY,
      requestsPerSecond: 500,
      retry: { maxRetries: 1, baseDelayMs: 5, maxDelayMs: 20 },
    }),
  };

  before(async () => {
    render = await RenderDouble.start({ apiKey: KEY, pageSize: 2 });
  });
  after(() => render.close());
  beforeEach(() => render.clearFaults());

  function service(): string {
    return render.createServiceByHand({
      type: "web_service",
      name: `svc-${Math.random().toString(36).slice(2, 8)}`,
      ownerId: "tea-envvars",
      image: { imagePath: "ghcr.io/acme/api:1.0.0" },
    }).id;
  }
  const inputs = (serviceId: string, vars: Record<string, string>, baseUrl = render.url) => ({
    serviceId,
    serviceName: "api",
    vars,
    baseUrl,
  });
  const noCanary = (v: unknown) => {
    const text = JSON.stringify(v);
    assert.ok(!text.includes(CANARY) && !text.includes(CANARY_2), `a secret value leaked: ${text}`);
  };

  it("create keeps keys set by hand (foreignKeys), stores values and hash key as secrets", async () => {
    const id = service();
    render.setEnvVar(id, "SET_BY_HAND", "x");
    const { outs } = await h.create(inputs(id, { A: "1", TOKEN: CANARY, C: "3" }), ctx);
    assert.deepStrictEqual(render.envOf(id), { SET_BY_HAND: "x", A: "1", TOKEN: CANARY, C: "3" });
    const o = outs as Record<string, unknown>;
    assert.deepStrictEqual(o.ownedKeys, ["A", "C", "TOKEN"]);
    assert.deepStrictEqual(o.foreignKeys, ["SET_BY_HAND"]);
    assert.match(o.version as string, /^[0-9a-f]{32}$/);
    // Plain JSON of the outputs shows the secret only inside a secret wrapper.
    const vars = o.vars as Record<string, unknown>;
    assert.notStrictEqual(typeof vars.TOKEN, "string", "a value is stored in plain text");
    assert.notStrictEqual(typeof o.hashKey, "string", "the hash key is stored in plain text");
    assert.strictEqual(reveal<Record<string, string>>(vars).TOKEN, CANARY);
  });

  it("diff names added, changed and removed keys, never values; same values → no change", async () => {
    const id = service();
    const { outs } = await h.create(inputs(id, { A: "1", TOKEN: CANARY, GONE: "g" }), ctx);
    const same = await h.diff("x", outs, inputs(id, { A: "1", TOKEN: CANARY, GONE: "g" }), ctx);
    assert.strictEqual(same.changes, false);
    const d = await h.diff("x", outs, inputs(id, { A: "1", TOKEN: CANARY_2, NEW: "n" }), ctx);
    assert.strictEqual(d.changes, true);
    assert.deepStrictEqual(d.detailedDiff, {
      "vars.TOKEN": { kind: "update", inputDiff: true },
      "vars.NEW": { kind: "add", inputDiff: true },
      "vars.GONE": { kind: "delete", inputDiff: true },
    });
    noCanary(d);
  });

  it("update removes owned keys no longer declared, keeps foreign ones; version follows values only", async () => {
    const id = service();
    const { outs: o1 } = await h.create(inputs(id, { A: "1", TOKEN: CANARY, GONE: "g" }), ctx);
    render.setEnvVar(id, "HAND", "h");
    const { outs: o2 } = await h.update("x", o1, inputs(id, { A: "1", TOKEN: CANARY_2 }), ctx);
    assert.deepStrictEqual(render.envOf(id), { A: "1", TOKEN: CANARY_2, HAND: "h" });
    assert.deepStrictEqual((o2 as Record<string, unknown>).foreignKeys, ["HAND"]);
    const v1 = (o1 as Record<string, string>).version;
    const v2 = (o2 as Record<string, string>).version;
    assert.notStrictEqual(v2, v1, "a secret rotation changes the version");
    const { outs: o3 } = await h.update("x", o2, inputs(id, { A: "1", TOKEN: CANARY_2 }), ctx);
    assert.strictEqual((o3 as Record<string, string>).version, v2, "same values, same version");
    // The version is keyed: the same values under another key give another version.
    assert.notStrictEqual(envVersion("other-key", { A: "1", TOKEN: CANARY_2 }), v2);
    noCanary({ v1, v2 });
  });

  it("diff sees drift on Render without a refresh (key deleted or changed by hand)", async () => {
    const id = service();
    const { outs } = await h.create(inputs(id, { A: "1", B: "2" }), ctx);
    render.envVars.get(id)!.delete("A");
    render.setEnvVar(id, "B", "changed-by-hand");
    const d = await h.diff("x", outs, inputs(id, { A: "1", B: "2" }), ctx);
    assert.deepStrictEqual(d.detailedDiff, {
      "vars.A": { kind: "add", inputDiff: false },
      "vars.B": { kind: "update", inputDiff: false },
    });
    await h.update("x", outs, inputs(id, { A: "1", B: "2" }), ctx);
    assert.deepStrictEqual(render.envOf(id), { A: "1", B: "2" });
  });

  it("a cosmetic baseUrl change (case, trailing /) is no change", async () => {
    const id = service();
    const { outs } = await h.create(inputs(id, { A: "1" }), ctx);
    const cosmetic = render.url.replace("http://", "HTTP://") + "/";
    const d = await h.diff("x", outs, inputs(id, { A: "1" }, cosmetic), ctx);
    assert.strictEqual(d.changes, false, JSON.stringify(d));
  });

  it("policy inputs (environment, plainKeys) are recorded without a push", async () => {
    const id = service();
    const { outs } = await h.create({ ...inputs(id, { A: "1" }), environment: "dev", plainKeys: ["A"] }, ctx);
    const d = await h.diff(
      "x",
      outs,
      { ...inputs(id, { A: "1" }), environment: "prod", plainKeys: ["A"] },
      ctx,
    );
    assert.deepStrictEqual(d.detailedDiff, { environment: { kind: "update", inputDiff: true } });
    assert.strictEqual(outs.environment, "dev");
    assert.deepStrictEqual(outs.plainKeys, ["A"]);
  });

  it("a set renamed changes only the recorded sources: no PUT, same version", async () => {
    const id = service();
    const { outs } = await h.create({ ...inputs(id, { A: "1" }), sources: { A: "set:backend" } }, ctx);
    const news = { ...inputs(id, { A: "1" }), sources: { A: "set:core" } };
    const d = await h.diff("x", outs, news, ctx);
    assert.deepStrictEqual(d.detailedDiff, { sources: { kind: "update", inputDiff: true } });
    const puts = render.count("PUT");
    const { outs: o2 } = await h.update("x", outs, news, ctx);
    assert.strictEqual(render.count("PUT"), puts, "nothing written");
    assert.strictEqual(o2.version, outs.version);
  });

  it("pushes with one paginated read, one PUT and one verify read (page size 2 here)", async () => {
    const id = service();
    render.resetRequests();
    await h.create(inputs(id, { A: "1", B: "2", C: "3" }), ctx);
    const path = `/services/${id}/env-vars`;
    // read: the empty page of a new service; verify: pages of 2 + 1 and the empty page that ends it
    assert.strictEqual(render.count("GET", path), 4);
    assert.strictEqual(render.count("PUT", path), 1);
  });

  it("fails closed: a failed read (5xx, truncated JSON, HTML page) writes nothing and names the service, not a value", async () => {
    const id = service();
    const { outs } = await h.create(inputs(id, { TOKEN: CANARY }), ctx);
    for (const fault of [
      { status: 503, times: Infinity },
      { truncate: true, times: Infinity },
      {
        status: 502,
        contentType: "text/html",
        body: "<html><title>Bad Gateway</title></html>",
        times: Infinity,
      },
    ]) {
      render.clearFaults();
      const putsBefore = render.count("PUT");
      render.addFault({ method: "GET", path: `/services/${id}/env-vars`, ...fault });
      await assert.rejects(h.update("x", outs, inputs(id, { TOKEN: CANARY_2 }), ctx), (e: Error) => {
        assert.match(e.message, new RegExp(`service "api" \\(${id}\\)`));
        noCanary(e.message);
        return true;
      });
      assert.strictEqual(render.count("PUT"), putsBefore, `wrote after ${JSON.stringify(fault)}`);
      assert.strictEqual(render.envOf(id).TOKEN, CANARY);
    }
  });

  it("retries a 429 on the PUT and succeeds", async () => {
    const id = service();
    render.addFault({ method: "PUT", status: 429, retryAfter: 0 });
    render.resetRequests();
    await h.create(inputs(id, { A: "1" }), ctx);
    assert.strictEqual(render.requests.filter((r) => r.status === 429).length, 1);
    assert.deepStrictEqual(render.envOf(id), { A: "1" });
  });

  it("describes differences by key and redacts secret values", () => {
    assert.strictEqual(
      describeDifference({ A: "1", B: "2", C: "3" }, { A: "1", B: "x", D: "4" }),
      "missing C; unexpected D; different values for B",
    );
    assert.strictEqual(redact(`value was ${CANARY}!`, [CANARY, "ab"]), "value was [secret]!");
  });

  it("refresh: owned keys take live values, foreign keys are listed; only Render's own not-found ends it", async () => {
    const id = service();
    const { outs } = await h.create(inputs(id, { A: "1" }), ctx);
    render.setEnvVar(id, "A", "by-hand");
    render.setEnvVar(id, "HAND", "h");
    const r = await h.read("x", outs, ctx);
    assert.strictEqual(reveal<Record<string, Record<string, string>>>(r!.props).vars.A, "by-hand");
    assert.deepStrictEqual(r!.props.foreignKeys, ["HAND"]);
    // The refreshed inputs are inputs only: no outputs, no empty secret wrapper (the engine rejects one).
    assert.deepStrictEqual(Object.keys(r!.inputs!).sort(), ["baseUrl", "serviceId", "serviceName", "vars"]);
    // A wrong base path answers 404 too: that is an error, not "deleted by hand".
    await assert.rejects(h.read("x", { ...outs, baseUrl: render.url.replace(/\/v1$/, "/nope") }, ctx));
    render.services.delete(id);
    render.envVars.delete(id);
    assert.strictEqual(await h.read("x", outs, ctx), undefined);
    // The diff does not guess: it says what happened and what to run.
    await assert.rejects(
      h.diff("x", outs, inputs(id, { A: "1" }), ctx),
      /no longer exists on Render.*pulumi refresh/,
    );
  });

  it("delete removes only the owned keys", async () => {
    const id = service();
    const { outs } = await h.create(inputs(id, { A: "1", B: "2" }), ctx);
    render.setEnvVar(id, "HAND", "h");
    await h.delete("x", outs, ctx);
    assert.deepStrictEqual(render.envOf(id), { HAND: "h" });
  });

  it("check names the field of an invalid key", async () => {
    const r = await h.check!({}, inputs("srv-1", { "BAD-KEY": "1" }), ctx);
    assert.deepStrictEqual(
      r.failures!.map((f) => f.property),
      ["vars.BAD-KEY"],
    );
  });

  describe("per-service plan", () => {
    const svc = (name: string, env: Record<string, string> = {}) =>
      ({ name, env }) as unknown as ServiceConfig;
    const set = (name: string, services: string[], vars: Record<string, string>) =>
      ({ name, services, vars }) as unknown as EnvSetConfig;
    const services = [svc("a"), svc("b", { PORT: "8080" }), svc("c")];

    it("a service's map is its set's vars, then its own overrides", () => {
      const plan = planServiceEnv(services, [set("backend", ["a", "b"], { X: "1", PORT: "1" })]);
      assert.deepStrictEqual(plan.a.vars, { X: "1", PORT: "1" });
      assert.deepStrictEqual(plan.b.vars, { X: "1", PORT: "8080" });
      assert.deepStrictEqual(plan.b.sources, { X: "set:backend", PORT: "service" });
      assert.strictEqual(plan.c, undefined);
    });

    it("renaming a set changes no declared value; moving a service changes only its own map", () => {
      const before = planServiceEnv(services, [
        set("backend", ["a", "b"], { X: "1" }),
        set("edge", ["c"], { Y: "2" }),
      ]);
      const renamed = planServiceEnv(services, [
        set("core", ["a", "b"], { X: "1" }),
        set("edge", ["c"], { Y: "2" }),
      ]);
      for (const n of ["a", "b", "c"]) assert.deepStrictEqual(renamed[n].vars, before[n].vars, n);
      const moved = planServiceEnv(services, [
        set("core", ["a"], { X: "1" }),
        set("edge", ["c", "b"], { Y: "2" }),
      ]);
      assert.deepStrictEqual(moved.a.vars, before.a.vars);
      assert.deepStrictEqual(moved.c.vars, before.c.vars);
      assert.deepStrictEqual(moved.b.vars, { Y: "2", PORT: "8080" });
    });
  });
});
