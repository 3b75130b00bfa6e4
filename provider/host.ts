/**
 * The plugin host: a gRPC `ResourceProvider` that dispatches each call to the handler of the
 * resource's type (registry.ts). Written against the protocol directly rather than through
 * `@pulumi/pulumi/provider`'s server, because that server (3.220.0) drops `detailedDiff`, ignores
 * the provider configuration and fails `pulumi import` (a Read without properties).
 */
import * as grpc from "@grpc/grpc-js";
import * as emptyproto from "google-protobuf/google/protobuf/empty_pb";
import * as structproto from "google-protobuf/google/protobuf/struct_pb";
import * as plugproto from "@pulumi/pulumi/proto/plugin_pb";
import * as provrpc from "@pulumi/pulumi/proto/provider_grpc_pb";
import * as provproto from "@pulumi/pulumi/proto/provider_pb";
import { HandlerContext, Props, ResourceHandler } from "./handler";
import { ConfigSource, rememberConfig, renderApiKey, DEFAULT_API_KEY_CONFIG } from "./render/credentials";
import { PropertyDiffKind, reveal } from "./render/wire";

type Callback<T> = (err: grpc.ServiceError | null, value?: T) => void;
type Call<Req> = grpc.ServerUnaryCall<Req, unknown>;

const KINDS: Record<PropertyDiffKind, provproto.PropertyDiff.Kind> = {
  add: provproto.PropertyDiff.Kind.ADD,
  addReplace: provproto.PropertyDiff.Kind.ADD_REPLACE,
  delete: provproto.PropertyDiff.Kind.DELETE,
  deleteReplace: provproto.PropertyDiff.Kind.DELETE_REPLACE,
  update: provproto.PropertyDiff.Kind.UPDATE,
  updateReplace: provproto.PropertyDiff.Kind.UPDATE_REPLACE,
};

/** The resource's type and name from its URN (`urn:pulumi:<stack>::<project>::<type chain>::<name>`). */
export function parseUrn(urn: string): { type: string; name: string } {
  const parts = urn.split("::");
  const name = parts.slice(3).join("::");
  const chain = parts[2] ?? "";
  return { type: chain.split("$").pop() ?? chain, name };
}

function toStruct(v: Props | undefined): structproto.Struct {
  // JSON round trip: protobuf Structs refuse `undefined`.
  const plain = JSON.parse(JSON.stringify(v ?? {})) as Parameters<
    typeof structproto.Struct.fromJavaScript
  >[0];
  return structproto.Struct.fromJavaScript(plain ?? {});
}

function fromStruct(s: structproto.Struct | undefined): Props {
  return (s?.toJavaScript() as Props | undefined) ?? {};
}

/** An error for the engine: the message as the handler wrote it (it names service and field). */
function failure(e: unknown): grpc.ServiceError {
  const message = e instanceof Error ? e.message : String(e);
  return Object.assign(new Error(message), {
    code: grpc.status.UNKNOWN,
    details: message,
    metadata: new grpc.Metadata(),
  });
}

/** Config variables as the engine sends them (`fleetgate:config:key`), readable as `fleetgate:key`. */
export function configSource(variables: Map<string, string> | Record<string, string>): ConfigSource {
  const entries = variables instanceof Map ? [...variables.entries()] : Object.entries(variables);
  const byKey = new Map(entries.map(([k, v]) => [k.replace(/^([^:]+):config:/, "$1:"), v]));
  return { get: (key) => byKey.get(key) };
}

export interface HostOptions {
  version: string;
  handlers: ResourceHandler[];
  schema: () => string;
}

/** The gRPC service implementation. */
export function providerService(opts: HostOptions): grpc.UntypedServiceImplementation {
  const byType = new Map(opts.handlers.map((h) => [h.type, h]));
  let config: ConfigSource = { get: () => undefined };

  function handlerFor(urn: string): ResourceHandler {
    const { type } = parseUrn(urn);
    const h = byType.get(type);
    if (!h) throw new Error(`the fleetgate plugin does not serve the resource type ${type}`);
    return h;
  }

  function context(urn: string): HandlerContext {
    return {
      urn,
      name: parseUrn(urn).name,
      render: (inputs) => ({
        baseUrl: inputs.baseUrl,
        apiKey: renderApiKey(inputs.apiKeyConfig ?? DEFAULT_API_KEY_CONFIG, config),
        requestsPerSecond: inputs.requestsPerSecond,
      }),
      config: (key) => config.get(key),
    };
  }

  /** Runs an async handler call and answers the gRPC callback with its result or error. */
  function serve<Req, Res>(run: (req: Req) => Promise<Res>) {
    return (call: Call<Req>, callback: Callback<Res>) => {
      run(call.request).then(
        (res) => callback(null, res),
        (e) => callback(failure(e)),
      );
    };
  }

  return {
    getPluginInfo: serve(async () => new plugproto.PluginInfo().setVersion(opts.version)),
    getSchema: serve(async () => new provproto.GetSchemaResponse().setSchema(opts.schema())),
    cancel: serve(async () => new emptyproto.Empty()),
    attach: serve(async () => new emptyproto.Empty()),

    checkConfig: serve(async (req: provproto.CheckRequest) =>
      new provproto.CheckResponse().setInputs(req.getNews()),
    ),
    // Provider config only carries the API key: a change never replaces a resource.
    diffConfig: serve(async (req: provproto.DiffRequest) => {
      const same = JSON.stringify(fromStruct(req.getOlds())) === JSON.stringify(fromStruct(req.getNews()));
      return new provproto.DiffResponse().setChanges(
        same ? provproto.DiffResponse.DiffChanges.DIFF_NONE : provproto.DiffResponse.DiffChanges.DIFF_SOME,
      );
    }),
    configure: serve(async (req: provproto.ConfigureRequest) => {
      const vars: Record<string, string> = {};
      req.getVariablesMap().forEach((v, k) => (vars[k] = v));
      // Args hold the same config as typed values (secrets wrapped): use them for keys not in vars.
      for (const [k, v] of Object.entries(reveal<Props>(fromStruct(req.getArgs())))) {
        if (typeof v === "string" && vars[`fleetgate:config:${k}`] === undefined)
          vars[`fleetgate:config:${k}`] = v;
      }
      config = configSource(vars);
      rememberConfig(config);
      return new provproto.ConfigureResponse()
        .setAcceptsecrets(true)
        .setSupportspreview(false)
        .setAcceptresources(false)
        .setAcceptoutputs(false);
    }),

    check: serve(async (req: provproto.CheckRequest) => {
      const h = handlerFor(req.getUrn());
      const news = fromStruct(req.getNews());
      const out = h.check ? await h.check(fromStruct(req.getOlds()), news, context(req.getUrn())) : {};
      const resp = new provproto.CheckResponse().setInputs(toStruct(out.inputs ?? news));
      resp.setFailuresList(
        (out.failures ?? []).map((f) =>
          new provproto.CheckFailure().setProperty(f.property).setReason(f.reason),
        ),
      );
      return resp;
    }),

    diff: serve(async (req: provproto.DiffRequest) => {
      const h = handlerFor(req.getUrn());
      const d = await h.diff(
        req.getId(),
        fromStruct(req.getOlds()),
        fromStruct(req.getNews()),
        context(req.getUrn()),
      );
      const resp = new provproto.DiffResponse().setChanges(
        d.changes
          ? provproto.DiffResponse.DiffChanges.DIFF_SOME
          : provproto.DiffResponse.DiffChanges.DIFF_NONE,
      );
      if (d.replaces?.length) resp.setReplacesList(d.replaces);
      if (d.deleteBeforeReplace) resp.setDeletebeforereplace(true);
      if (d.detailedDiff) {
        resp.setHasdetaileddiff(true);
        const map = resp.getDetaileddiffMap();
        for (const [path, pd] of Object.entries(d.detailedDiff)) {
          map.set(path, new provproto.PropertyDiff().setKind(KINDS[pd.kind]).setInputdiff(pd.inputDiff));
        }
        // Top-level keys, for engines that read `diffs` only.
        resp.setDiffsList([...new Set(Object.keys(d.detailedDiff).map((p) => p.split(/[.[]/)[0]))]);
      }
      return resp;
    }),

    create: serve(async (req: provproto.CreateRequest) => {
      const h = handlerFor(req.getUrn());
      const { id, outs } = await h.create(fromStruct(req.getProperties()), context(req.getUrn()));
      return new provproto.CreateResponse().setId(id).setProperties(toStruct(outs));
    }),

    read: serve(async (req: provproto.ReadRequest) => {
      const h = handlerFor(req.getUrn());
      // `pulumi import` sends no properties: the handler builds the state from the live object.
      const props = req.getProperties() ? fromStruct(req.getProperties()) : undefined;
      const had = props && Object.keys(props).length > 0 ? props : undefined;
      const result = await h.read(req.getId(), had, context(req.getUrn()));
      const resp = new provproto.ReadResponse();
      if (!result) return resp.setId("").setProperties(toStruct({}));
      resp.setId(result.id).setProperties(toStruct(result.props));
      if (result.inputs) resp.setInputs(toStruct(result.inputs));
      return resp;
    }),

    update: serve(async (req: provproto.UpdateRequest) => {
      const h = handlerFor(req.getUrn());
      const { outs } = await h.update(
        req.getId(),
        fromStruct(req.getOlds()),
        fromStruct(req.getNews()),
        context(req.getUrn()),
      );
      return new provproto.UpdateResponse().setProperties(toStruct(outs));
    }),

    delete: serve(async (req: provproto.DeleteRequest) => {
      const h = handlerFor(req.getUrn());
      await h.delete(req.getId(), fromStruct(req.getProperties()), context(req.getUrn()));
      return new emptyproto.Empty();
    }),
  };
}

/** Starts the gRPC server on loopback and prints its port (the engine reads it from stdout). */
export async function serveProvider(opts: HostOptions): Promise<grpc.Server> {
  const server = new grpc.Server({ "grpc.max_receive_message_length": 400 * 1024 * 1024 });
  server.addService(provrpc.ResourceProviderService, providerService(opts));
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  process.stdout.write(`${port}\n`);
  return server;
}
