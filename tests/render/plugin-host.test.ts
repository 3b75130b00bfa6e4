/**
 * The plugin host (provider/host.ts) without the engine: the gRPC methods called with protobuf
 * requests as the engine builds them. Dispatch by type, configure (the API key from the provider
 * config, never from inputs), check failures naming the property, detailedDiff on the wire, a
 * Read without properties (`pulumi import`), an unknown type, and the schema.
 */
import * as assert from "assert";
import * as structproto from "google-protobuf/google/protobuf/struct_pb";
import * as provproto from "@pulumi/pulumi/proto/provider_pb";
import { configSource, parseUrn, providerService } from "../../provider/host";
import { HandlerContext, ResourceHandler } from "../../provider/handler";
import { HANDLERS } from "../../provider/registry";
import { packageSchema } from "../../provider/schema";

type Method = (call: { request: unknown }, cb: (err: Error | null, value?: unknown) => void) => void;

function call<T>(svc: Record<string, unknown>, method: string, request: unknown): Promise<T> {
  return new Promise((resolve, reject) =>
    (svc[method] as Method)({ request }, (err, value) => (err ? reject(err) : resolve(value as T))),
  );
}

const URN =
  "urn:pulumi:dev::fleetgate::fleetgate:fleet:Fleet$fleetgate:render:Platform$test:x:Thing::render-api";

describe("plugin host", () => {
  let seen: { ctx?: HandlerContext; props?: unknown } = {};
  const thing: ResourceHandler = {
    type: "test:x:Thing",
    schema: { description: "t", inputProperties: {}, requiredInputs: [], properties: {}, required: [] },
    async check(_o, news) {
      return news.size === "big"
        ? {}
        : { failures: [{ property: "size", reason: 'thing "x": size must be "big"' }] };
    },
    async diff() {
      return {
        changes: true,
        replaces: ["region"],
        deleteBeforeReplace: true,
        detailedDiff: {
          "vars.API_KEY": { kind: "add", inputDiff: true },
          region: { kind: "updateReplace", inputDiff: true },
        },
      };
    },
    async create() {
      return { id: "t-1", outs: { a: 1, gone: undefined } };
    },
    async read(id, props, ctx) {
      seen = { ctx, props };
      return { id, props: { imported: props === undefined }, inputs: { from: "live" } };
    },
    async update() {
      return { outs: {} };
    },
    async delete() {},
  };
  const svc = providerService({ version: "9.9.9", handlers: [thing], schema: () => "{}" }) as Record<
    string,
    unknown
  >;

  it("parses the type and name from a URN with a parent chain", () => {
    assert.deepStrictEqual(parseUrn(URN), { type: "test:x:Thing", name: "render-api" });
    assert.strictEqual(
      configSource({ "fleetgate:config:renderApiKey": "k" }).get("fleetgate:renderApiKey"),
      "k",
    );
  });

  it("takes the API key from the provider config handed to configure", async () => {
    const req = new provproto.ConfigureRequest();
    req.getVariablesMap().set("fleetgate:config:renderApiKey", "rnd_from_config");
    req.getVariablesMap().set("fleetgate:config:otherKey", "rnd_other");
    const resp = await call<provproto.ConfigureResponse>(svc, "configure", req);
    assert.strictEqual(resp.getAcceptsecrets(), true);
    const read = new provproto.ReadRequest().setId("t-1").setUrn(URN);
    await call(svc, "read", read);
    assert.strictEqual(seen.ctx!.render({ baseUrl: "http://x" }).apiKey, "rnd_from_config");
    assert.strictEqual(
      seen.ctx!.render({ baseUrl: "http://x", apiKeyConfig: "otherKey" }).apiKey,
      "rnd_other",
    );
  });

  it("reads without properties for `pulumi import` and passes the handler's inputs back", async () => {
    const resp = await call<provproto.ReadResponse>(
      svc,
      "read",
      new provproto.ReadRequest().setId("t-9").setUrn(URN),
    );
    assert.strictEqual(seen.props, undefined);
    assert.strictEqual(resp.getId(), "t-9");
    assert.deepStrictEqual(resp.getProperties()!.toJavaScript(), { imported: true });
    assert.deepStrictEqual(resp.getInputs()!.toJavaScript(), { from: "live" });
  });

  it("returns check failures naming the property", async () => {
    const req = new provproto.CheckRequest()
      .setUrn(URN)
      .setOlds(structproto.Struct.fromJavaScript({}))
      .setNews(structproto.Struct.fromJavaScript({ size: "small" }));
    const resp = await call<provproto.CheckResponse>(svc, "check", req);
    assert.deepStrictEqual(
      resp.getFailuresList().map((f) => [f.getProperty(), f.getReason()]),
      [["size", 'thing "x": size must be "big"']],
    );
  });

  it("puts detailedDiff, replaces and delete-before-replace on the wire", async () => {
    const req = new provproto.DiffRequest()
      .setUrn(URN)
      .setId("t-1")
      .setOlds(structproto.Struct.fromJavaScript({}))
      .setNews(structproto.Struct.fromJavaScript({}));
    const resp = await call<provproto.DiffResponse>(svc, "diff", req);
    assert.strictEqual(resp.getChanges(), provproto.DiffResponse.DiffChanges.DIFF_SOME);
    assert.strictEqual(resp.getHasdetaileddiff(), true);
    assert.deepStrictEqual(resp.getReplacesList(), ["region"]);
    assert.strictEqual(resp.getDeletebeforereplace(), true);
    const map = resp.getDetaileddiffMap();
    assert.strictEqual(map.get("vars.API_KEY")!.getKind(), provproto.PropertyDiff.Kind.ADD);
    assert.strictEqual(map.get("region")!.getKind(), provproto.PropertyDiff.Kind.UPDATE_REPLACE);
    assert.deepStrictEqual(resp.getDiffsList().sort(), ["region", "vars"]);
  });

  it("drops undefined outputs on create and refuses a type it does not serve, naming it", async () => {
    const created = await call<provproto.CreateResponse>(
      svc,
      "create",
      new provproto.CreateRequest().setUrn(URN).setProperties(structproto.Struct.fromJavaScript({})),
    );
    assert.deepStrictEqual(created.getProperties()!.toJavaScript(), { a: 1 });
    await assert.rejects(
      call(svc, "create", new provproto.CreateRequest().setUrn("urn:pulumi:d::p::other:x:Y::n")),
      /the fleetgate plugin does not serve the resource type other:x:Y/,
    );
  });

  it("serves a schema with every registered resource", () => {
    const schema = JSON.parse(packageSchema("0.1.0", HANDLERS));
    assert.deepStrictEqual(Object.keys(schema.resources).sort(), [
      "fleetgate:render:Deploy",
      "fleetgate:render:EnvVars",
      "fleetgate:render:RegistryCredential",
      "fleetgate:render:Scale",
      "fleetgate:render:Service",
    ]);
    for (const [token, r] of Object.entries(schema.resources) as [
      string,
      { requiredInputs: string[]; inputProperties: object },
    ][]) {
      for (const k of r.requiredInputs)
        assert.ok(k in r.inputProperties, `${token}: required input ${k} is declared`);
      assert.ok(!("apiKey" in r.inputProperties), `${token} takes no API key input`);
      // Pulumi's schema has no `enum` on a property (enums are named types): none may leak out.
      assert.ok(!JSON.stringify(r).includes('"enum"'), `${token} has a bare enum`);
    }
  });
});
