/**
 * A Render API (v1) test double: a real HTTP server on loopback that keeps Render's documented
 * semantics for the subset fleetgate uses (docs/render.md, "Tests and the Render double").
 *
 * Usage:
 * ```ts
 * const render = await RenderDouble.start({ apiKey: "rnd_test" });
 * // point the client / stack at render.url (http://127.0.0.1:<port>/v1)
 * render.addFault({ method: "PUT", path: /env-vars$/, status: 500, times: Infinity });
 * render.setEnvVar(serviceId, "SET_BY_HAND", "x"); // like a user in the dashboard
 * render.envOf(serviceId); // { KEY: value, ... }
 * await render.close();
 * ```
 *
 * Semantics kept:
 * - Lists are envelopes (`[{service}|{envVar}|{deploy}, cursor]`), paginated with `limit` (capped
 *   at `pageSize`) and `cursor` (the last item's cursor) until an empty page. Env vars come back in
 *   an order that differs from the PUT order and changes with every PUT.
 * - `PUT /services/{id}/env-vars` replaces the whole set; a `null` body clears it.
 * - Services: create (201 `{deployId, service}`, 409 on a duplicate name), get, list, patch (does
 *   not deploy), delete (204), scale/suspend/resume (empty 202). Image paths come back normalized.
 * - Deploys: create (201, or an empty 202 when one is already queued), get, list (newest first),
 *   rollback (201 with a new deploy). Statuses move with time: queued → created →
 *   [pre_deploy_in_progress →] update_in_progress → live (or a failure status set with
 *   `failDeploys`); a new live deploy deactivates the previous one.
 * - Errors are `{"message": ...}` (404 `not found: <id>`, 409, 400, 401, 429 with `Retry-After`).
 *   Every answer carries `Ratelimit-Limit/-Remaining/-Reset` of its bucket (reads, writes, deploys,
 *   scale), each a fixed window (`rateLimits`); a request over its bucket's quota gets 429.
 * - Disks: `POST /disks {name, mountPath, sizeGB, serviceId}` (201 with the disk; one disk per
 *   service; cron jobs take none), `GET /disks?serviceId=` (envelope `[{disk, cursor}]`),
 *   `GET|PATCH|DELETE /disks/{diskId}` (PATCH takes name, mountPath, sizeGB and refuses a smaller
 *   sizeGB: Render grows disks, never shrinks them). `POST /services` with `serviceDetails.disk`
 *   creates the disk with the service; the service shows `serviceDetails.disk {id, name}`.
 * - Service shapes as Render returns an image-backed service: run settings under
 *   `serviceDetails.envSpecificDetails` (`dockerCommand`, `preDeployCommand`, `registryCredential`);
 *   only web services have `healthCheckPath` (Render health-checks nothing else).
 *
 * Fault knobs: `addFault` (by method/path, nth match, times; status, body, content type,
 * Retry-After, truncated body), `failRequest(n)` (the n-th request overall), `latencyMs`, `pageSize`.
 */
import { randomBytes, createHash } from "crypto";
import * as http from "http";
import { AddressInfo } from "net";

export interface RenderDoubleOptions {
  /** Bearer key the double accepts; requests without it get 401. Default: any key is accepted. */
  apiKey?: string;
  /** Server-side cap on `limit` for every list (Render allows up to 100). */
  pageSize?: number;
  /** Delay before answering every request, in ms. */
  latencyMs?: number;
  /** Duration of each deploy phase, in ms. */
  deployPhaseMs?: number;
  /** Quota per bucket (default: 10000 per 60 s each, i.e. out of the way of tests that do not pace). */
  rateLimits?: Partial<Record<QuotaBucket, { limit: number; windowMs: number }>>;
}

/** Render's rate-limit buckets: reads, writes, deploys (deploy/rollback) and scale (scale/suspend/resume). */
export type QuotaBucket = "get" | "write" | "deploy" | "scale";

function quotaBucketOf(method: string, path: string): QuotaBucket {
  if (method === "GET") return "get";
  if (method === "POST" && /\/(deploys|rollback)$/.test(path)) return "deploy";
  if (method === "POST" && /\/(scale|suspend|resume)$/.test(path)) return "scale";
  return "write";
}

/** One recorded request (bodies are not recorded: they may hold secret values). */
export interface RecordedRequest {
  n: number;
  method: string;
  /** Path without the `/v1` prefix and without the query, e.g. `/services/srv-1/env-vars`. */
  path: string;
  query: Record<string, string>;
  status: number;
}

export interface Fault {
  /** Matches the method (any when omitted). */
  method?: string;
  /** Matches the path without `/v1` (a string must be equal, a RegExp must match). */
  path?: string | RegExp;
  /** Fire only from the n-th matching request on (1-based; default 1). */
  nth?: number;
  /** How many matching requests fail (default 1; Infinity for all). */
  times?: number;
  /** Status to answer with (default 500). Ignored with `truncate`. */
  status?: number;
  /** Body to answer with (default `{"message":"internal server error"}`). */
  body?: string;
  contentType?: string;
  /** Adds `Retry-After: <seconds>`. */
  retryAfter?: number;
  /** Process the request normally but cut the JSON answer in half. */
  truncate?: boolean;
}

export type DeployStatus =
  | "queued"
  | "created"
  | "build_in_progress"
  | "update_in_progress"
  | "live"
  | "deactivated"
  | "build_failed"
  | "update_failed"
  | "canceled"
  | "pre_deploy_in_progress"
  | "pre_deploy_failed";

export interface DoubleService {
  id: string;
  name: string;
  type: "web_service" | "private_service" | "background_worker" | "cron_job";
  ownerId: string;
  slug: string;
  suspended: "suspended" | "not_suspended";
  image: { ownerId: string; imagePath: string };
  serviceDetails: {
    runtime: "image";
    plan: string;
    region: string;
    url?: string;
    /** Web services only. */
    healthCheckPath?: string;
    numInstances: number;
    envSpecificDetails: {
      dockerCommand?: string;
      preDeployCommand?: string;
      registryCredential?: { id: string; name: string; registry: string; username: string };
    };
    schedule?: string;
    /** The attached disk, as Render lists it on the service. */
    disk?: { id: string; name: string };
  };
  createdAt: string;
  updatedAt: string;
}

/** A persistent disk as `GET /disks` returns it. */
export interface DoubleDisk {
  id: string;
  name: string;
  sizeGB: number;
  mountPath: string;
  serviceId: string;
  createdAt: string;
  updatedAt: string;
}

interface DeployRecord {
  id: string;
  serviceId: string;
  image: { ref: string; sha: string };
  trigger: string;
  createdAt: number;
  startAt: number;
  finishAt: number;
  preDeploy: boolean;
  outcome: DeployStatus;
  canceled?: boolean;
  deactivatedAt?: number;
}

interface ActiveFault extends Fault {
  seen: number;
  fired: number;
}

const TYPES = ["web_service", "private_service", "background_worker", "cron_job"] as const;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** Normalizes an image reference the way Render echoes it (`nginx` → `docker.io/library/nginx:latest`). */
export function renderNormalizeImage(ref: string): string {
  let rest = ref.trim();
  let digest = "";
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at);
    rest = rest.slice(0, at);
  }
  let tag = "";
  const colon = rest.lastIndexOf(":");
  if (colon > rest.lastIndexOf("/")) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  const parts = rest.split("/");
  let registry = "docker.io";
  if (parts.length > 1 && (parts[0].includes(".") || parts[0].includes(":") || parts[0] === "localhost")) {
    registry = parts.shift() as string;
  }
  let repo = parts.join("/");
  if (registry === "docker.io" && !repo.includes("/")) repo = `library/${repo}`;
  if (!tag && !digest) tag = "latest";
  return `${registry}/${repo}${tag ? `:${tag}` : ""}${digest}`;
}

export class RenderDouble {
  /** Base URL including `/v1`, e.g. `http://127.0.0.1:41234/v1`. */
  url = "";
  readonly services = new Map<string, DoubleService>();
  /** Env vars per service id, in insertion (PUT) order. */
  readonly envVars = new Map<string, Map<string, string>>();
  /** Persistent disks by id (`dsk-…`). */
  readonly disks = new Map<string, DoubleDisk>();
  readonly requests: RecordedRequest[] = [];
  /** Final status per service id or name for deploys that should fail (e.g. `update_failed`). */
  readonly failDeploys = new Map<string, DeployStatus>();
  pageSize: number;
  latencyMs: number;
  deployPhaseMs: number;
  apiKey?: string;

  private readonly deploys: DeployRecord[] = [];
  private readonly orderSalt = new Map<string, string>();
  private faults: ActiveFault[] = [];
  private counter = 0;
  private ids = 0;
  private server!: http.Server;

  /** Fixed-window quota per bucket; change `limit`/`windowMs` to test pacing. */
  readonly quotas: Record<
    QuotaBucket,
    { limit: number; windowMs: number; windowStart: number; used: number }
  >;
  /** Requests answered 429 because their bucket's quota was spent. */
  throttled = 0;
  /** Registry credentials by id (`POST /registrycredentials`). */
  readonly registryCredentials = new Map<
    string,
    { id: string; name: string; registry: string; username: string; authToken: string; ownerId: string }
  >();

  private constructor(opts: RenderDoubleOptions) {
    const q = (b: QuotaBucket) => ({
      limit: opts.rateLimits?.[b]?.limit ?? 10_000,
      windowMs: opts.rateLimits?.[b]?.windowMs ?? 60_000,
      windowStart: 0,
      used: 0,
    });
    this.quotas = { get: q("get"), write: q("write"), deploy: q("deploy"), scale: q("scale") };
    this.apiKey = opts.apiKey;
    this.pageSize = opts.pageSize ?? 100;
    this.latencyMs = opts.latencyMs ?? 0;
    this.deployPhaseMs = opts.deployPhaseMs ?? 30;
  }

  /** Starts a double on 127.0.0.1 with a free port. */
  static async start(opts: RenderDoubleOptions = {}): Promise<RenderDouble> {
    const d = new RenderDouble(opts);
    d.server = http.createServer((req, res) => void d.handle(req, res));
    d.server.keepAliveTimeout = 5000;
    await new Promise<void>((resolve) => d.server.listen(0, "127.0.0.1", resolve));
    d.url = `http://127.0.0.1:${(d.server.address() as AddressInfo).port}/v1`;
    return d;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ---- knobs -------------------------------------------------------------------------------

  addFault(fault: Fault): void {
    this.faults.push({ ...fault, seen: 0, fired: 0 });
  }

  /** The n-th request from now on (1-based) fails with `status`. */
  failRequest(n: number, status = 500): void {
    this.addFault({ nth: n, status });
  }

  clearFaults(): void {
    this.faults = [];
  }

  /** Forgets recorded requests (counts start again at 1). */
  resetRequests(): void {
    this.requests.length = 0;
  }

  // ---- state helpers for tests -----------------------------------------------------------

  serviceByName(name: string): DoubleService | undefined {
    return [...this.services.values()].find((s) => s.name === name);
  }

  /** The env vars of a service as a plain object. */
  envOf(serviceId: string): Record<string, string> {
    return Object.fromEntries(this.envVars.get(serviceId) ?? new Map());
  }

  /** Sets one variable like a user in the dashboard would. */
  setEnvVar(serviceId: string, key: string, value: string): void {
    this.requireService(serviceId);
    this.envVars.get(serviceId)!.set(key, value);
    this.orderSalt.set(serviceId, randomBytes(4).toString("hex"));
  }

  /** Creates a service directly (as if made by hand); returns it. */
  createServiceByHand(body: Record<string, unknown>): DoubleService {
    return this.createService(body).service;
  }

  /** The disk attached to a service, if any. */
  diskOf(serviceId: string): DoubleDisk | undefined {
    return [...this.disks.values()].find((d) => d.serviceId === serviceId);
  }

  /** Changes a service by hand (drift), e.g. `{ serviceDetails: { plan: "pro" } }`. */
  patchServiceByHand(id: string, patch: Record<string, unknown>): void {
    this.patchService(this.requireService(id), patch);
  }

  /** Deploys of a service, newest first, with their current status. */
  deploysOf(serviceId: string): { id: string; status: DeployStatus; image: string; trigger: string }[] {
    return this.deploys
      .filter((d) => d.serviceId === serviceId)
      .reverse()
      .map((d) => ({ id: d.id, status: this.statusOf(d), image: d.image.ref, trigger: d.trigger }));
  }

  /** The deploy Render reports live for a service now (newest live first), if any. */
  liveDeployOf(
    serviceId: string,
  ): { id: string; status: DeployStatus; image: string; trigger: string } | undefined {
    return this.deploysOf(serviceId).find((d) => d.status === "live");
  }

  /**
   * A deploy made outside Pulumi (dashboard, deploy hook, another pipeline): like `POST /deploys`
   * with `imageUrl`, it sets the service's image. Returns the new deploy's id.
   */
  deployByHand(serviceId: string, imageUrl?: string): string {
    const svc = this.requireService(serviceId);
    const image = imageUrl ? renderNormalizeImage(imageUrl) : svc.image.imagePath;
    svc.image.imagePath = image;
    return this.startDeploy(svc, image, "manual").id;
  }

  /** A rollback made outside Pulumi: a new deploy of an earlier deploy's image. Returns its id. */
  rollbackByHand(serviceId: string, deployId: string): string {
    return this.rollback(this.requireService(serviceId), { deployId }).id;
  }

  /** Resolves when every deploy of the service has reached a final status (bounded wait). */
  async settled(serviceId: string, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.deploysOf(serviceId).some((d) => !isFinal(d.status))) {
      if (Date.now() > deadline)
        throw new Error(`deploys of ${serviceId} still running after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Requests matching method and path (path as in RecordedRequest, string equality or RegExp). */
  count(method: string, path?: string | RegExp): number {
    return this.requests.filter((r) => r.method === method && (path === undefined || matchPath(path, r.path)))
      .length;
  }

  // ---- HTTP ---------------------------------------------------------------------------------

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const n = ++this.counter;
    const u = new URL(req.url ?? "/", "http://x");
    const path = u.pathname.replace(/^\/v1/, "");
    const query = Object.fromEntries(u.searchParams);
    const method = req.method ?? "GET";
    const raw = await readBody(req);
    if (this.latencyMs) await new Promise((r) => setTimeout(r, this.latencyMs));
    const record: RecordedRequest = { n: this.requests.length + 1, method, path, query, status: 0 };
    this.requests.push(record);
    void n;
    const quota = this.quotas[quotaBucketOf(method, path)];
    const now = Date.now();
    if (now - quota.windowStart >= quota.windowMs) {
      quota.windowStart = now;
      quota.used = 0;
    }
    quota.used++;
    const resetSeconds = Math.max(0, (quota.windowStart + quota.windowMs - now) / 1000);
    const headers: Record<string, string> = {
      "Ratelimit-Limit": String(quota.limit),
      "Ratelimit-Remaining": String(Math.max(0, quota.limit - quota.used)),
      "Ratelimit-Reset": String(Math.ceil(resetSeconds)),
    };
    const send = (status: number, body?: unknown, extra: Record<string, string> = {}, truncate = false) => {
      record.status = status;
      let text = body === undefined ? "" : typeof body === "string" ? body : JSON.stringify(body);
      if (truncate) text = text.slice(0, Math.max(1, Math.floor(text.length / 2)));
      const h: Record<string, string> = { ...headers, ...extra };
      if (text && !h["Content-Type"]) h["Content-Type"] = "application/json; charset=utf-8";
      res.writeHead(status, h);
      res.end(text);
    };

    if (quota.used > quota.limit) {
      this.throttled++;
      send(429, { message: "rate limit exceeded" });
      return;
    }
    const fault = this.matchFault(method, path);
    if (fault && !fault.truncate) {
      const extra: Record<string, string> = {};
      if (fault.retryAfter !== undefined) extra["Retry-After"] = String(fault.retryAfter);
      if (fault.contentType) extra["Content-Type"] = fault.contentType;
      const status = fault.status ?? 500;
      const body =
        fault.body ??
        JSON.stringify({ message: status === 429 ? "rate limit exceeded" : "internal server error" });
      send(status, body, extra);
      return;
    }
    try {
      if (this.apiKey !== undefined && req.headers.authorization !== `Bearer ${this.apiKey}`) {
        throw new HttpError(401, "unauthorized");
      }
      let body: unknown = undefined;
      if (raw.length) {
        try {
          body = JSON.parse(raw);
        } catch {
          throw new HttpError(400, "invalid JSON body");
        }
      }
      const [status, answer] = this.route(method, path, query, body);
      send(status, answer, {}, fault?.truncate ?? false);
    } catch (e) {
      if (e instanceof HttpError) send(e.status, { message: e.message }, e.headers);
      else send(500, { message: `double error: ${(e as Error).message}` });
    }
  }

  private matchFault(method: string, path: string): ActiveFault | undefined {
    for (const f of this.faults) {
      if (f.method && f.method !== method) continue;
      if (f.path !== undefined && !matchPath(f.path, path)) continue;
      f.seen++;
      if (f.seen < (f.nth ?? 1) || f.fired >= (f.times ?? 1)) continue;
      f.fired++;
      return f;
    }
    return undefined;
  }

  private route(
    method: string,
    path: string,
    query: Record<string, string>,
    body: unknown,
  ): [number, unknown?] {
    const seg = path.split("/").filter(Boolean);
    if (seg[0] === "registrycredentials") return this.registryCredentialRoute(method, seg, query, body);
    if (seg[0] === "disks") return this.diskRoute(method, seg, query, body);
    if (seg[0] !== "services") throw new HttpError(404, `not found: ${path}`);
    if (seg.length === 1) {
      if (method === "GET") return [200, this.listServices(query)];
      if (method === "POST") {
        const created = this.createService(asObject(body));
        return [201, created];
      }
    }
    const svc = this.requireService(seg[1]);
    if (seg.length === 2) {
      if (method === "GET") return [200, svc];
      if (method === "PATCH") return [200, this.patchService(svc, asObject(body))];
      if (method === "DELETE") {
        this.services.delete(svc.id);
        this.envVars.delete(svc.id);
        for (const d of [...this.disks.values()]) if (d.serviceId === svc.id) this.disks.delete(d.id);
        return [204];
      }
    }
    const sub = seg[2];
    if (seg.length === 3 && method === "POST") {
      if (sub === "scale") {
        const n = asObject(body).numInstances;
        if (typeof n !== "number" || n < 0 || !Number.isInteger(n))
          throw new HttpError(400, "numInstances must be a non-negative integer");
        svc.serviceDetails.numInstances = n;
        return [202];
      }
      if (sub === "suspend" || sub === "resume") {
        svc.suspended = sub === "suspend" ? "suspended" : "not_suspended";
        return [202];
      }
      if (sub === "deploys") return this.createDeploy(svc, asObject(body ?? {}));
      if (sub === "rollback") return [201, this.rollback(svc, asObject(body))];
    }
    if (sub === "env-vars") {
      if (seg.length === 3 && method === "GET") return [200, this.listEnvVars(svc.id, query)];
      if (seg.length === 3 && method === "PUT") return [200, this.putEnvVars(svc.id, body)];
      if (seg.length === 4) return this.oneEnvVar(svc.id, method, decodeURIComponent(seg[3]), body);
    }
    if (sub === "deploys" && method === "GET") {
      if (seg.length === 3) return [200, this.listDeploys(svc.id, query)];
      if (seg.length === 4) {
        const d = this.deploys.find((x) => x.id === seg[3] && x.serviceId === svc.id);
        if (!d) throw new HttpError(404, `not found: ${seg[3]}`);
        return [200, this.deployView(d)];
      }
    }
    throw new HttpError(404, `not found: ${method} ${path}`);
  }

  // ---- services -----------------------------------------------------------------------------

  private createService(body: Record<string, unknown>): { deployId: string; service: DoubleService } {
    const type = body.type as DoubleService["type"];
    if (!TYPES.includes(type)) throw new HttpError(400, `invalid service type: ${String(type)}`);
    const name = body.name;
    if (typeof name !== "string" || !name) throw new HttpError(400, "name is required");
    if (typeof body.ownerId !== "string") throw new HttpError(400, "ownerId is required");
    if ([...this.services.values()].some((s) => s.name === name && s.ownerId === body.ownerId)) {
      throw new HttpError(409, `service already exists: ${name}`);
    }
    const image = asObject(body.image ?? {});
    if (typeof image.imagePath !== "string") throw new HttpError(400, "image.imagePath is required");
    const details = asObject(body.serviceDetails ?? {});
    const env = asObject(details.envSpecificDetails ?? {});
    const credential = this.credentialRef(image.registryCredentialId);
    const prefix = type === "cron_job" ? "crn" : "srv";
    const id = `${prefix}-${this.nextId()}`;
    const now = new Date().toISOString();
    const svc: DoubleService = {
      id,
      name,
      type,
      ownerId: body.ownerId,
      slug: name,
      suspended: "not_suspended",
      image: { ownerId: body.ownerId, imagePath: renderNormalizeImage(image.imagePath) },
      serviceDetails: {
        runtime: "image",
        plan: typeof details.plan === "string" ? details.plan : "starter",
        region: typeof details.region === "string" ? details.region : "oregon",
        url: type === "web_service" ? `https://${name}.onrender.com` : undefined,
        // Render health-checks web services only; other types have no such field.
        healthCheckPath: type === "web_service" ? optString(details.healthCheckPath) : undefined,
        numInstances: typeof details.numInstances === "number" ? details.numInstances : 1,
        envSpecificDetails: {
          dockerCommand: optString(env.dockerCommand),
          preDeployCommand: optString(env.preDeployCommand ?? details.preDeployCommand),
          ...(credential ? { registryCredential: credential } : {}),
        },
        schedule: optString(details.schedule),
      },
      createdAt: now,
      updatedAt: now,
    };
    if (details.disk !== undefined) {
      const disk = this.validDisk(asObject(details.disk), "serviceDetails.disk.", type);
      this.attachDisk(svc, disk);
    }
    this.services.set(id, svc);
    const envVars = new Map<string, string>();
    if (Array.isArray(body.envVars)) {
      for (const v of body.envVars) envVars.set(asObject(v).key as string, asObject(v).value as string);
    }
    this.envVars.set(id, envVars);
    this.orderSalt.set(id, randomBytes(4).toString("hex"));
    const deploy = this.startDeploy(svc, svc.image.imagePath, "service_created");
    return { deployId: deploy.id, service: svc };
  }

  private patchService(svc: DoubleService, body: Record<string, unknown>): DoubleService {
    for (const k of Object.keys(body)) {
      if (!["name", "image", "serviceDetails"].includes(k)) throw new HttpError(400, `cannot update ${k}`);
    }
    if (typeof body.name === "string") {
      svc.name = body.name;
      svc.slug = body.name;
    }
    if (body.image !== undefined) {
      const img = asObject(body.image);
      const p = img.imagePath;
      if (typeof p !== "string") throw new HttpError(400, "image.imagePath must be a string");
      svc.image.imagePath = renderNormalizeImage(p);
      if ("registryCredentialId" in img) {
        const credential = this.credentialRef(img.registryCredentialId);
        const { registryCredential: _old, ...rest } = svc.serviceDetails.envSpecificDetails;
        void _old;
        svc.serviceDetails.envSpecificDetails = credential
          ? { ...rest, registryCredential: credential }
          : rest;
      }
    }
    if (body.serviceDetails !== undefined) {
      const d = asObject(body.serviceDetails);
      for (const [k, v] of Object.entries(d)) {
        if (k === "region" || k === "runtime") throw new HttpError(400, `cannot update serviceDetails.${k}`);
        if (k === "envSpecificDetails") {
          const e = asObject(v);
          svc.serviceDetails.envSpecificDetails = {
            ...svc.serviceDetails.envSpecificDetails,
            ...("dockerCommand" in e ? { dockerCommand: optString(e.dockerCommand) } : {}),
            ...("preDeployCommand" in e ? { preDeployCommand: optString(e.preDeployCommand) } : {}),
          };
        } else if (k === "preDeployCommand") {
          svc.serviceDetails.envSpecificDetails.preDeployCommand = optString(v);
        } else if (k === "healthCheckPath") {
          if (svc.type === "web_service") svc.serviceDetails.healthCheckPath = optString(v);
        } else if (k === "plan" || k === "schedule") {
          svc.serviceDetails[k] = optString(v) as string;
        } else if (k === "numInstances") {
          svc.serviceDetails.numInstances = v as number;
        } else throw new HttpError(400, `unknown field serviceDetails.${k}`);
      }
    }
    svc.updatedAt = new Date().toISOString();
    return svc;
  }

  // ---- disks --------------------------------------------------------------------------------

  /** A disk body's fields, validated as Render does (name and mountPath required, sizeGB ≥ 1, default 1). */
  private validDisk(b: Record<string, unknown>, at: string, serviceType: string) {
    if (serviceType === "cron_job") throw new HttpError(400, "cron jobs cannot have a disk");
    if (typeof b.name !== "string" || !b.name) throw new HttpError(400, `${at}name is required`);
    if (typeof b.mountPath !== "string" || !b.mountPath.startsWith("/"))
      throw new HttpError(400, `${at}mountPath must be an absolute path`);
    const size = b.sizeGB ?? 1;
    if (typeof size !== "number" || !Number.isInteger(size) || size < 1)
      throw new HttpError(400, `${at}sizeGB must be an integer of at least 1`);
    return { name: b.name, mountPath: b.mountPath, sizeGB: size };
  }

  private attachDisk(svc: DoubleService, d: { name: string; mountPath: string; sizeGB: number }): DoubleDisk {
    if (this.diskOf(svc.id)) throw new HttpError(400, `service ${svc.id} already has a disk`);
    const now = new Date().toISOString();
    const disk: DoubleDisk = {
      id: `dsk-${this.nextId()}`,
      ...d,
      serviceId: svc.id,
      createdAt: now,
      updatedAt: now,
    };
    this.disks.set(disk.id, disk);
    svc.serviceDetails.disk = { id: disk.id, name: disk.name };
    return disk;
  }

  /** `POST /disks`, `GET /disks?serviceId=`, `GET|PATCH|DELETE /disks/{diskId}`. */
  private diskRoute(
    method: string,
    seg: string[],
    query: Record<string, string>,
    body: unknown,
  ): [number, unknown?] {
    if (seg.length === 1 && method === "GET") {
      const items = [...this.disks.values()]
        .filter((d) => !query.serviceId || query.serviceId.split(",").includes(d.serviceId))
        .filter((d) => !query.name || query.name.split(",").includes(d.name))
        .map((d) => ({ cursor: cursorOf(d.id), item: d }));
      return [200, this.page(items, query).map((x) => ({ disk: x.item, cursor: x.cursor }))];
    }
    if (seg.length === 1 && method === "POST") {
      const b = asObject(body);
      if (typeof b.serviceId !== "string") throw new HttpError(400, "serviceId is required");
      const svc = this.services.get(b.serviceId);
      if (!svc) throw new HttpError(400, `service not found: ${b.serviceId}`);
      return [201, this.attachDisk(svc, this.validDisk(b, "", svc.type))];
    }
    const disk = seg.length === 2 ? this.disks.get(seg[1]) : undefined;
    if (!disk) throw new HttpError(404, `not found: ${seg[1] ?? ""}`);
    if (method === "GET") return [200, disk];
    if (method === "PATCH") {
      const b = asObject(body);
      for (const k of Object.keys(b)) {
        if (!["name", "mountPath", "sizeGB"].includes(k)) throw new HttpError(400, `cannot update ${k}`);
      }
      const next = this.validDisk({ ...disk, ...b }, "", "");
      if (next.sizeGB < disk.sizeGB)
        throw new HttpError(
          400,
          `disk size can only increase (current ${disk.sizeGB} GB, requested ${next.sizeGB} GB)`,
        );
      Object.assign(disk, next, { updatedAt: new Date().toISOString() });
      const svc = this.services.get(disk.serviceId);
      if (svc) svc.serviceDetails.disk = { id: disk.id, name: disk.name };
      return [200, disk];
    }
    if (method === "DELETE") {
      this.disks.delete(disk.id);
      const svc = this.services.get(disk.serviceId);
      if (svc) delete svc.serviceDetails.disk;
      return [204];
    }
    throw new HttpError(404, `not found: ${method} /disks/${seg[1]}`);
  }

  /** The credential a service's `image.registryCredentialId` names, as the service shows it. */
  private credentialRef(id: unknown) {
    if (id === undefined || id === null || id === "") return undefined;
    const c = this.registryCredentials.get(String(id));
    if (!c) throw new HttpError(400, `registry credential not found: ${String(id)}`);
    return { id: c.id, name: c.name, registry: c.registry, username: c.username };
  }

  /** `POST /registrycredentials`, `GET|PATCH|DELETE /registrycredentials/{id}` (the token is never returned). */
  private registryCredentialRoute(
    method: string,
    seg: string[],
    _query: Record<string, string>,
    body: unknown,
  ): [number, unknown?] {
    const view = (c: { id: string; name: string; registry: string; username: string }) => ({
      id: c.id,
      name: c.name,
      registry: c.registry,
      username: c.username,
      updatedAt: new Date().toISOString(),
    });
    const b = asObject(body ?? {});
    if (seg.length === 1 && method === "POST") {
      for (const f of ["registry", "name", "username", "authToken", "ownerId"]) {
        if (typeof b[f] !== "string" || !b[f]) throw new HttpError(400, `${f} is required`);
      }
      if (!["GITHUB", "GITLAB", "DOCKER", "GOOGLE_ARTIFACT", "AWS_ECR"].includes(b.registry as string))
        throw new HttpError(400, `invalid registry: ${String(b.registry)}`);
      const c = {
        id: `rgc-${this.nextId()}`,
        name: b.name as string,
        registry: b.registry as string,
        username: b.username as string,
        authToken: b.authToken as string,
        ownerId: b.ownerId as string,
      };
      this.registryCredentials.set(c.id, c);
      return [201, view(c)];
    }
    const c = seg.length === 2 ? this.registryCredentials.get(seg[1]) : undefined;
    if (!c) throw new HttpError(404, `not found: ${seg[1] ?? ""}`);
    if (method === "GET") return [200, view(c)];
    if (method === "PATCH") {
      for (const f of ["registry", "name", "username", "authToken"] as const) {
        if (typeof b[f] === "string" && b[f]) c[f] = b[f] as string;
      }
      return [200, view(c)];
    }
    if (method === "DELETE") {
      this.registryCredentials.delete(c.id);
      return [204];
    }
    throw new HttpError(404, `not found: ${method} /registrycredentials/${seg[1]}`);
  }

  private listServices(query: Record<string, string>) {
    const items = [...this.services.values()]
      .filter((s) => !query.name || query.name.split(",").includes(s.name))
      .filter((s) => !query.ownerId || query.ownerId.split(",").includes(s.ownerId))
      .filter((s) => !query.type || query.type.split(",").includes(s.type))
      .map((s) => ({ cursor: cursorOf(s.id), item: s }));
    return this.page(items, query).map((x) => ({ service: x.item, cursor: x.cursor }));
  }

  private requireService(id: string): DoubleService {
    const svc = this.services.get(id);
    if (!svc) throw new HttpError(404, `not found: ${id}`);
    return svc;
  }

  // ---- env vars -----------------------------------------------------------------------------

  private listEnvVars(id: string, query: Record<string, string>) {
    const salt = this.orderSalt.get(id) ?? "";
    const items = [...(this.envVars.get(id) ?? new Map()).entries()]
      .map(([key, value]) => ({ key, value, order: hash(salt + key) }))
      .sort((a, b) => a.order.localeCompare(b.order))
      .map((v) => ({ cursor: cursorOf(v.key), item: { key: v.key, value: v.value } }));
    return this.page(items, query).map((x) => ({ envVar: x.item, cursor: x.cursor }));
  }

  private putEnvVars(id: string, body: unknown) {
    const next = new Map<string, string>();
    if (body !== null) {
      if (!Array.isArray(body)) throw new HttpError(400, "body must be a list of env vars or null");
      for (const v of body) {
        const o = asObject(v);
        if (typeof o.key !== "string" || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(o.key)) {
          throw new HttpError(400, `invalid env var key: ${JSON.stringify(o.key)}`);
        }
        if (typeof o.value !== "string") throw new HttpError(400, `env var ${o.key} needs a string value`);
        if (next.has(o.key)) throw new HttpError(400, `duplicate env var key: ${o.key}`);
        next.set(o.key, o.value);
      }
    }
    this.envVars.set(id, next);
    this.orderSalt.set(id, randomBytes(4).toString("hex"));
    return this.listEnvVars(id, { limit: String(Number.MAX_SAFE_INTEGER) });
  }

  private oneEnvVar(id: string, method: string, key: string, body: unknown): [number, unknown?] {
    const vars = this.envVars.get(id)!;
    if (method === "GET") {
      if (!vars.has(key)) throw new HttpError(404, `not found: ${key}`);
      return [200, { key, value: vars.get(key) }];
    }
    if (method === "PUT") {
      const value = asObject(body).value;
      if (typeof value !== "string") throw new HttpError(400, "value must be a string");
      this.setEnvVar(id, key, value);
      return [200, { key, value }];
    }
    if (method === "DELETE") {
      if (!vars.delete(key)) throw new HttpError(404, `not found: ${key}`);
      return [204];
    }
    throw new HttpError(404, `not found: ${method} env-vars/${key}`);
  }

  // ---- deploys ------------------------------------------------------------------------------

  private createDeploy(svc: DoubleService, body: Record<string, unknown>): [number, unknown?] {
    const now = Date.now();
    if (this.deploys.some((d) => d.serviceId === svc.id && this.statusOf(d, now) === "queued")) {
      return [202];
    }
    let image = svc.image.imagePath;
    if (body.imageUrl !== undefined) {
      if (typeof body.imageUrl !== "string") throw new HttpError(400, "imageUrl must be a string");
      image = renderNormalizeImage(body.imageUrl);
      svc.image.imagePath = image;
    }
    return [201, this.deployView(this.startDeploy(svc, image, "api"))];
  }

  private rollback(svc: DoubleService, body: Record<string, unknown>) {
    const target = this.deploys.find((d) => d.id === body.deployId && d.serviceId === svc.id);
    if (!target) throw new HttpError(404, `not found: ${String(body.deployId)}`);
    return this.deployView(this.startDeploy(svc, target.image.ref, "rollback"));
  }

  private startDeploy(svc: DoubleService, imageRef: string, trigger: string): DeployRecord {
    const now = Date.now();
    const running = this.deploys.filter((d) => d.serviceId === svc.id && !isFinal(this.statusOf(d, now)));
    const startAt = Math.max(now, ...running.map((d) => d.finishAt));
    const preDeploy = Boolean(svc.serviceDetails.envSpecificDetails.preDeployCommand);
    const phases = preDeploy ? 3 : 2;
    const outcome = this.failDeploys.get(svc.id) ?? this.failDeploys.get(svc.name) ?? "live";
    const d: DeployRecord = {
      id: `dep-${this.nextId()}`,
      serviceId: svc.id,
      image: { ref: imageRef, sha: `sha256:${hash(imageRef)}` },
      trigger,
      createdAt: now,
      startAt,
      finishAt: startAt + phases * this.deployPhaseMs,
      preDeploy,
      outcome,
    };
    this.deploys.push(d);
    return d;
  }

  private statusOf(d: DeployRecord, now = Date.now()): DeployStatus {
    if (now < d.startAt) return "queued";
    const t = now - d.startAt;
    const p = this.deployPhaseMs;
    if (now < d.finishAt) {
      if (t < p) return "created";
      if (d.preDeploy && t < 2 * p) return "pre_deploy_in_progress";
      return "update_in_progress";
    }
    if (d.outcome !== "live") return d.outcome;
    // A later live deploy of the same service deactivates this one.
    const index = this.deploys.indexOf(d);
    const newerLive = this.deploys.some(
      (o, i) => i > index && o.serviceId === d.serviceId && o.outcome === "live" && now >= o.finishAt,
    );
    return newerLive ? "deactivated" : "live";
  }

  private deployView(d: DeployRecord) {
    const status = this.statusOf(d);
    const iso = (t: number) => new Date(t).toISOString();
    return {
      id: d.id,
      commit: null,
      image: d.image,
      status,
      trigger: d.trigger,
      createdAt: iso(d.createdAt),
      updatedAt: iso(Math.min(Date.now(), d.finishAt)),
      finishedAt: isFinal(status) ? iso(d.finishAt) : null,
    };
  }

  private listDeploys(id: string, query: Record<string, string>) {
    const items = this.deploys
      .filter((d) => d.serviceId === id)
      .reverse()
      .map((d) => ({ cursor: cursorOf(d.id), item: this.deployView(d) }));
    return this.page(items, query).map((x) => ({ deploy: x.item, cursor: x.cursor }));
  }

  // ---- helpers ------------------------------------------------------------------------------

  /** One page: items after `cursor`, at most min(limit, pageSize). */
  private page<T>(items: { cursor: string; item: T }[], query: Record<string, string>) {
    const limit = Math.min(query.limit ? Number(query.limit) : 20, this.pageSize);
    if (!Number.isInteger(limit) || limit < 1) throw new HttpError(400, "limit must be between 1 and 100");
    let start = 0;
    if (query.cursor) {
      const i = items.findIndex((x) => x.cursor === query.cursor);
      start = i < 0 ? items.length : i + 1;
    }
    return items.slice(start, start + limit);
  }

  private nextId(): string {
    this.ids++;
    return `${this.ids.toString(36)}${randomBytes(5).toString("hex")}`;
  }
}

function isFinal(s: DeployStatus): boolean {
  return !["queued", "created", "build_in_progress", "update_in_progress", "pre_deploy_in_progress"].includes(
    s,
  );
}

function matchPath(p: string | RegExp, path: string): boolean {
  return typeof p === "string" ? p === path : p.test(path);
}

function cursorOf(s: string): string {
  return Buffer.from(s).toString("base64url");
}

function hash(s: string): string {
  return createHash("sha256").update(s).digest("hex").slice(0, 16);
}

function optString(v: unknown): string | undefined {
  return typeof v === "string" && v !== "" ? v : undefined;
}

function asObject(v: unknown): Record<string, unknown> {
  if (!v || typeof v !== "object" || Array.isArray(v)) throw new HttpError(400, "body must be a JSON object");
  return v as Record<string, unknown>;
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}
