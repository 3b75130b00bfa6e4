/**
 * The EnvVarSet provider in-process against the Render double: complete merged sets across
 * services, foreign keys kept and reported, removal of keys no longer declared, a failing service
 * named while the others stay complete, fail-closed reads, 429 retries, drift on refresh, delete,
 * and a canary secret that never shows up in an error.
 */
import * as assert from "assert";
import {
  EnvVarSetInputs,
  EnvVarSetOutputs,
  envVarSetProvider as provider,
} from "../../providers/render/envVarSet";
import { describeDifference, redact } from "../../provider/render/envPush";
import { RenderDouble } from "../support/render-double";

const KEY = "rnd_envset_test_key";
const CANARY = "canary-7f3a9c-do-not-print";

describe("render EnvVarSet provider", function () {
  this.timeout(60_000);
  let render: RenderDouble;
  let names: string[];
  let ids: Record<string, string>;

  before(async () => {
    render = await RenderDouble.start({ apiKey: KEY });
    await provider.configure!({
      config: {
        get: (k: string) => (k === "fleetgate:renderApiKey" ? KEY : undefined),
        require: (k: string) => (k === "fleetgate:renderApiKey" ? KEY : ""),
      },
    });
  });
  after(() => render.close());

  beforeEach(() => {
    render.clearFaults();
    const run = Math.random().toString(36).slice(2, 7);
    names = ["api", "engine", "email", "scheduler"].map((n) => `${n}-${run}`);
    ids = {};
    for (const name of names) {
      ids[name] = render.createServiceByHand({
        type: "background_worker",
        name,
        ownerId: "tea-test",
        image: { imagePath: "ghcr.io/acme/api:1.0.0" },
      }).id;
    }
    render.resetRequests();
  });

  function inputs(vars: Record<string, string>, services = names): EnvVarSetInputs {
    return {
      setName: "backend",
      services,
      serviceIds: Object.fromEntries(services.map((n) => [n, ids[n]])),
      environment: "dev",
      keys: Object.keys(vars).sort(),
      plainKeys: Object.keys(vars).filter((k) => k !== "SECRET"),
      serviceKeys: Object.fromEntries(services.map((n) => [n, Object.keys(vars).sort()])),
      values: Object.fromEntries(services.map((n) => [n, { ...vars }])),
      baseUrl: render.url,
      requestsPerSecond: 1000,
    };
  }

  async function create(vars: Record<string, string>): Promise<{ id: string; outs: EnvVarSetOutputs }> {
    const r = await provider.create(inputs(vars));
    return { id: r.id, outs: r.outs as EnvVarSetOutputs };
  }

  it("pushes the complete set with one paginated read, one PUT and one verify read per service", async () => {
    const { outs } = await create({ NODE_ENV: "production", SECRET: CANARY });
    for (const n of names) {
      assert.deepStrictEqual(render.envOf(ids[n]), { NODE_ENV: "production", SECRET: CANARY });
      const path = `/services/${ids[n]}/env-vars`;
      // read = the empty page of a new service; verify read = one page + the empty page that ends it
      assert.strictEqual(render.count("GET", path), 3, `GETs for ${n}`);
      assert.strictEqual(render.count("PUT", path), 1, `PUTs for ${n}`);
    }
    assert.deepStrictEqual(outs.ownedKeys[names[0]], ["NODE_ENV", "SECRET"]);
    assert.deepStrictEqual(outs.foreignKeys[names[0]], []);
    assert.deepStrictEqual(outs.failedServices, []);
    assert.strictEqual(Object.keys(outs.versions).length, 4);
  });

  it("keeps a key set by hand through every push and removes keys no longer declared from every service", async () => {
    const { id, outs } = await create({ A: "1", B: "2", SECRET: CANARY });
    render.setEnvVar(ids[names[1]], "SET_BY_HAND", "keep-me");

    const second = (await provider.update!(id, outs, inputs({ A: "1", B: "3", SECRET: CANARY })))
      .outs as EnvVarSetOutputs;
    assert.deepStrictEqual(render.envOf(ids[names[1]]), {
      A: "1",
      B: "3",
      SECRET: CANARY,
      SET_BY_HAND: "keep-me",
    });
    assert.deepStrictEqual(second.foreignKeys[names[1]], ["SET_BY_HAND"]);
    assert.deepStrictEqual(second.foreignKeys[names[0]], []);
    // Only the services whose values changed get a new version (all of them here: B changed).
    assert.notStrictEqual(second.versions[names[0]], outs.versions[names[0]]);

    const third = (await provider.update!(id, second, inputs({ A: "1", SECRET: CANARY })))
      .outs as EnvVarSetOutputs;
    for (const n of names) {
      const expected: Record<string, string> = { A: "1", SECRET: CANARY };
      if (n === names[1]) expected.SET_BY_HAND = "keep-me";
      assert.deepStrictEqual(render.envOf(ids[n]), expected, `set of ${n}`);
      assert.deepStrictEqual(third.ownedKeys[n], ["A", "SECRET"]);
    }

    // An unchanged set writes nothing and keeps the versions (no redeploy).
    render.resetRequests();
    const fourth = (await provider.update!(id, third, inputs({ A: "1", SECRET: CANARY })))
      .outs as EnvVarSetOutputs;
    assert.strictEqual(render.count("PUT"), 0);
    assert.deepStrictEqual(fourth.versions, third.versions);
  });

  it("a 500 on the third of four services fails naming it, the other three hold complete sets, and re-running converges", async () => {
    const { id, outs } = await create({ A: "1", SECRET: CANARY });
    const third = names[2];
    render.addFault({
      method: "PUT",
      path: `/services/${ids[third]}/env-vars`,
      status: 500,
      times: Infinity,
    });
    const next = inputs({ A: "2", NEW: "x", SECRET: CANARY });
    let partial: EnvVarSetOutputs | undefined;
    await assert.rejects(
      provider.update!(id, outs, next),
      (e: Error & { id?: string; properties?: EnvVarSetOutputs }) => {
        assert.match(e.message, new RegExp(`1 of 4 service\\(s\\) failed`));
        assert.match(
          e.message,
          new RegExp(`service "${third}" \\(${ids[third]}\\): Render API PUT .* answered 500`),
        );
        assert.ok(!e.message.includes(CANARY), "the canary leaked into the error");
        assert.strictEqual(e.id, id);
        partial = e.properties;
        return true;
      },
    );
    for (const n of names.filter((x) => x !== third)) {
      assert.deepStrictEqual(render.envOf(ids[n]), { A: "2", NEW: "x", SECRET: CANARY }, `set of ${n}`);
    }
    assert.deepStrictEqual(
      render.envOf(ids[third]),
      { A: "1", SECRET: CANARY },
      "the failed service kept its old set",
    );
    assert.ok(partial, "the error carries the partial state");
    assert.deepStrictEqual(partial!.failedServices, [third]);
    assert.strictEqual(
      (partial as Partial<EnvVarSetOutputs>).values,
      undefined,
      "no values in the partial state",
    );
    // The partial state makes the next diff see a change, even with the same inputs.
    assert.strictEqual((await provider.diff!(id, partial!, next)).changes, true);

    render.clearFaults();
    const converged = (await provider.update!(id, partial!, next)).outs as EnvVarSetOutputs;
    for (const n of names) assert.deepStrictEqual(render.envOf(ids[n]), { A: "2", NEW: "x", SECRET: CANARY });
    assert.deepStrictEqual(converged.failedServices, []);
    assert.strictEqual((await provider.diff!(id, converged, next)).changes, false);
  });

  it("never writes to a service whose read failed (5xx, truncated JSON, HTML page)", async () => {
    const { id, outs } = await create({ A: "1" });
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
      render.resetRequests();
      const victim = ids[names[1]];
      render.addFault({ method: "GET", path: `/services/${victim}/env-vars`, ...fault });
      await assert.rejects(provider.update!(id, outs, inputs({ A: "2" })), (e: Error) => {
        assert.match(e.message, new RegExp(`service "${names[1]}"`));
        return true;
      });
      assert.strictEqual(
        render.count("PUT", `/services/${victim}/env-vars`),
        0,
        `wrote after ${JSON.stringify(fault)}`,
      );
      assert.strictEqual(render.envOf(victim).A, "1");
    }
  });

  it("retries a 429 on the PUT and succeeds", async () => {
    render.addFault({ method: "PUT", status: 429, retryAfter: 1 });
    await create({ A: "1" });
    assert.strictEqual(render.requests.filter((r) => r.status === 429).length, 1);
    for (const n of names) assert.deepStrictEqual(render.envOf(ids[n]), { A: "1" });
  });

  it("refresh reports drift: a value changed by hand, a removed key and a new foreign key", async () => {
    const { id, outs } = await create({ A: "1", B: "2" });
    render.setEnvVar(ids[names[0]], "A", "changed-by-hand");
    render.setEnvVar(ids[names[0]], "EXTRA", "x");
    const r = await provider.read!(id, outs);
    const props = r.props as EnvVarSetOutputs;
    assert.deepStrictEqual(props.values[names[0]], { A: "changed-by-hand", B: "2" });
    assert.deepStrictEqual(props.foreignKeys[names[0]], ["EXTRA"]);
    assert.deepStrictEqual(props.values[names[1]], { A: "1", B: "2" });
    // The refreshed inputs differ from the config: the next update restores the value.
    const d = await provider.diff!(id, r.inputs as EnvVarSetOutputs, inputs({ A: "1", B: "2" }));
    assert.strictEqual(d.changes, true);
    await provider.update!(id, r.inputs as EnvVarSetOutputs, inputs({ A: "1", B: "2" }));
    assert.deepStrictEqual(render.envOf(ids[names[0]]), { A: "1", B: "2", EXTRA: "x" });
  });

  it("delete removes the owned keys and keeps foreign ones; a deleted service is skipped", async () => {
    const { id, outs } = await create({ A: "1", SECRET: CANARY });
    render.setEnvVar(ids[names[0]], "MINE", "hand");
    render.services.delete(ids[names[3]]);
    await provider.delete!(id, outs);
    assert.deepStrictEqual(render.envOf(ids[names[0]]), { MINE: "hand" });
    assert.deepStrictEqual(render.envOf(ids[names[1]]), {});
  });

  it("a service leaving the set loses the set's keys", async () => {
    const { id, outs } = await create({ A: "1" });
    render.setEnvVar(ids[names[3]], "OTHER", "o");
    const fewer = (await provider.update!(id, outs, inputs({ A: "1" }, names.slice(0, 3))))
      .outs as EnvVarSetOutputs;
    assert.deepStrictEqual(render.envOf(ids[names[3]]), { OTHER: "o" });
    assert.deepStrictEqual(Object.keys(fewer.serviceIds).sort(), names.slice(0, 3).sort());
  });

  it("diff names no values and replaces only on another API", async () => {
    const { id, outs } = await create({ A: "1", SECRET: CANARY });
    const same = await provider.diff!(id, outs, inputs({ A: "1", SECRET: CANARY }));
    assert.deepStrictEqual(same, { changes: false, replaces: [] });
    const changed = await provider.diff!(id, outs, inputs({ A: "1", SECRET: "other" }));
    assert.strictEqual(changed.changes, true);
    assert.ok(!JSON.stringify(changed).includes(CANARY));
    const moved = await provider.diff!(id, outs, { ...inputs({ A: "1" }), baseUrl: "http://127.0.0.1:1/v1" });
    assert.deepStrictEqual(moved.replaces, ["baseUrl"]);
  });

  it("describes differences by key and redacts secret values", () => {
    assert.strictEqual(
      describeDifference({ A: "1", B: "2", C: "3" }, { A: "1", B: "x", D: "4" }),
      "missing C; unexpected D; different values for B",
    );
    assert.strictEqual(redact(`value was ${CANARY}!`, [CANARY, "ab"]), "value was [secret]!");
  });
});
