/**
 * `fleetgate:render:Service`: one image-backed Render service (web, private, worker, cron).
 *
 * - Type, region and owner cannot change in place (replace); everything else is a PATCH (which on
 *   Render does not deploy: the Deploy step does) and instances go through the scale endpoint.
 * - Images and the API base URL are compared normalized, so a cosmetic change changes nothing.
 * - Run settings are read where Render returns them for image-backed services:
 *   `serviceDetails.envSpecificDetails` (`dockerCommand`, `preDeployCommand`).
 * - Only web services have a health check on Render: `healthCheckPath` on any other type is a
 *   check failure naming the field.
 * - Adoption: with `adopt: true`, create takes over the service of the same name in the owner
 *   (same id, same URL) instead of failing with 409; `pulumi import` reads one by id.
 * - A persistent disk (`disk`) is created with the service or through Render's disks API, grows
 *   but never shrinks, and is read back for drift (disk.ts).
 * - Refresh drops the service from the state only when Render itself answers not-found for the
 *   id while the key can still list services (client.ts `isGone`).
 */
import { normalizeImageRef } from "../../config/image";
import { CheckOutcome, HandlerContext, Props, ResourceHandler, ResourceSchema } from "../handler";
import { RENDER_SERVICE } from "../resourceTypes";
import { isGone, listAll, renderRequest, RenderClientSettings } from "./client";
import { applyDisk, checkDisk, DiskInputs, diskDiffs, diskInputsOf, liveDisk, planDisk } from "./disk";
import { withoutUndefined } from "./plain";
import { isUnknown, normalizeBaseUrl, PropertyDiff, ResourceDiff, reveal } from "./wire";

export type ServiceType = "web" | "private" | "worker" | "cron";

export const API_TYPES: Record<ServiceType, string> = {
  web: "web_service",
  private: "private_service",
  worker: "background_worker",
  cron: "cron_job",
};

export interface ServiceInputs {
  name: string;
  serviceType: ServiceType;
  /** The pinned image reference from the config. */
  image: string;
  /** Web services only. */
  healthCheckPath?: string;
  plan?: string;
  region: string;
  instances: number;
  dockerCommand?: string;
  preDeployCommand?: string;
  schedule?: string;
  ownerId: string;
  /** Render registry credential (`rgc-…`) for pulling a private image. */
  registryCredentialId?: string;
  /** Take over an existing service of this name on create instead of failing with 409. */
  adopt?: boolean;
  /** Persistent disk (`renderDiskPayload()` of config/disks.ts). */
  disk?: DiskInputs;
  /** The stack marks the service stateful: read by the policy pack (stateful-disk); not diffed, nothing on Render. */
  stateful?: boolean;
  baseUrl: string;
  apiKeyConfig?: string;
  requestsPerSecond?: number;
}

export interface ServiceOutputs extends ServiceInputs {
  /** `https://<slug>.onrender.com` for web services. */
  url?: string;
  /** The image path as Render normalized it. */
  imagePath: string;
  suspended: boolean;
  /** True when create took over an existing service (adoption). */
  adopted?: boolean;
}

/** The part of Render's service object the provider reads. */
export interface ApiService {
  id: string;
  name: string;
  type: string;
  ownerId: string;
  suspended?: string;
  image?: { imagePath?: string };
  imagePath?: string;
  serviceDetails?: {
    plan?: string;
    region?: string;
    url?: string;
    healthCheckPath?: string;
    numInstances?: number;
    envSpecificDetails?: {
      dockerCommand?: string;
      preDeployCommand?: string;
      registryCredential?: { id?: string };
    };
    /** Older answers put it here; Render's image-backed services return it in envSpecificDetails. */
    preDeployCommand?: string;
    schedule?: string;
  };
}

const TYPES = Object.keys(API_TYPES) as ServiceType[];

/** Fields that cannot change in place. */
const REPLACE_FIELDS = ["serviceType", "region", "ownerId"] as const;
/** Fields a PATCH changes (the image is compared normalized, separately). */
const PATCH_FIELDS = [
  "name",
  "healthCheckPath",
  "plan",
  "dockerCommand",
  "preDeployCommand",
  "schedule",
  "registryCredentialId",
] as const;
/** Fields that change only what the provider does, not Render (an update writes them to state). */
const LOCAL_FIELDS = ["apiKeyConfig", "requestsPerSecond"] as const;

const str = (description: string) => ({ type: "string" as const, description });

export const serviceSchema: ResourceSchema = {
  description: "An image-backed Render service (web, private, worker or cron).",
  inputProperties: {
    name: str("Service name on Render (unique per owner); a change renames it in place."),
    serviceType: {
      type: "string",
      enum: TYPES,
      description: "web, private, worker or cron; a change replaces.",
    },
    image: str("Pinned image reference (`repo@sha256:…` or an exact version tag); compared normalized."),
    healthCheckPath: str("Health check path (web services only)."),
    plan: str("Render plan (starter, standard, …); Render's default when unset."),
    region: str("Region; a change replaces the service."),
    instances: { type: "integer", description: "Number of instances (set through the scale endpoint)." },
    dockerCommand: str("Overrides the image's CMD."),
    preDeployCommand: str("Runs before each deploy (e.g. migrations)."),
    schedule: str("Cron schedule (cron services only)."),
    ownerId: str("Workspace id (`tea-…`/`usr-…`); a change replaces the service."),
    registryCredentialId: str("Render registry credential for a private image."),
    adopt: { type: "boolean", description: "Take over an existing service of this name on create." },
    disk: {
      type: "object",
      description: "Persistent disk { name, mountPath, sizeGB }; grows but never shrinks.",
    },
    stateful: {
      type: "boolean",
      description: "The stack marks the service stateful (needs a disk): for the policy pack; never diffed.",
    },
    baseUrl: str("Render API base URL; compared normalized."),
    apiKeyConfig: str("Config key (`fleetgate:<key>`) holding the API key; `renderApiKey` when unset."),
    requestsPerSecond: { type: "number", description: "Optional cap on API calls per second." },
  },
  requiredInputs: ["name", "serviceType", "image", "region", "instances", "ownerId", "baseUrl"],
  properties: {
    name: str("Service name."),
    serviceType: str("Service type."),
    image: str("Declared image."),
    url: str("Public URL (web services)."),
    imagePath: str("The image as Render normalized it."),
    suspended: { type: "boolean", description: "Whether Render reports the service suspended." },
    adopted: { type: "boolean", description: "True when an existing service was adopted." },
  },
  required: ["name", "serviceType", "image", "imagePath", "suspended"],
};

function sameImage(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  try {
    return normalizeImageRef(a) === normalizeImageRef(b);
  } catch {
    return a === b;
  }
}

function sameBaseUrl(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return normalizeBaseUrl(a) === normalizeBaseUrl(b);
}

const blank = (v: unknown) => v === undefined || v === null || v === "";
const same = (a: unknown, b: unknown) => (blank(a) && blank(b)) || a === b;

function api(ctx: HandlerContext, i: ServiceInputs): RenderClientSettings {
  return ctx.render(i);
}

/** The `serviceDetails` of a create or update call. */
function serviceDetails(i: ServiceInputs, forCreate: boolean): Record<string, unknown> {
  const d: Record<string, unknown> = {};
  if (forCreate) {
    d.runtime = "image";
    d.region = i.region;
    if (i.serviceType !== "cron") d.numInstances = i.instances;
  }
  if (i.plan !== undefined) d.plan = i.plan;
  if (i.serviceType === "web") d.healthCheckPath = i.healthCheckPath ?? "";
  d.envSpecificDetails = { dockerCommand: i.dockerCommand ?? "" };
  if (i.serviceType !== "cron") d.preDeployCommand = i.preDeployCommand ?? "";
  if (i.serviceType === "cron") d.schedule = i.schedule;
  // Render takes the disk with the new service; an existing one gets it through /disks.
  if (forCreate && i.disk) d.disk = { name: i.disk.name, mountPath: i.disk.mountPath, sizeGB: i.disk.sizeGB };
  return d;
}

function imageBody(i: ServiceInputs, forCreate: boolean): Record<string, unknown> {
  return {
    ...(forCreate ? { ownerId: i.ownerId } : {}),
    imagePath: i.image,
    ...(i.registryCredentialId || !forCreate ? { registryCredentialId: i.registryCredentialId ?? "" } : {}),
  };
}

function outputsOf(inputs: ServiceInputs, svc: ApiService, adopted?: boolean): ServiceOutputs {
  return withoutUndefined({
    ...inputs,
    url: svc.serviceDetails?.url,
    imagePath: svc.image?.imagePath ?? svc.imagePath ?? inputs.image,
    suspended: svc.suspended === "suspended",
    ...(adopted ? { adopted } : {}),
  });
}

/** The run settings as Render returns them (envSpecificDetails first). */
function liveRunSettings(svc: ApiService) {
  const d = svc.serviceDetails ?? {};
  const e = d.envSpecificDetails ?? {};
  return {
    dockerCommand: e.dockerCommand || undefined,
    preDeployCommand: e.preDeployCommand || d.preDeployCommand || undefined,
    registryCredentialId: e.registryCredential?.id || undefined,
  };
}

/** The inputs as the live service has them; fields the config leaves unset stay unset. */
export function inputsFromLive(props: ServiceInputs, svc: ApiService): ServiceInputs {
  const d = svc.serviceDetails ?? {};
  const type = TYPES.find((t) => API_TYPES[t] === svc.type);
  const liveImage = svc.image?.imagePath ?? svc.imagePath;
  const run = liveRunSettings(svc);
  const managed = <K extends keyof ServiceInputs>(k: K, live: ServiceInputs[K] | undefined) =>
    props[k] === undefined ? props[k] : (live ?? ("" as ServiceInputs[K]));
  return {
    ...props,
    name: svc.name,
    serviceType: type ?? props.serviceType,
    image: sameImage(props.image, liveImage) || !liveImage ? props.image : liveImage,
    region: d.region ?? props.region,
    ownerId: svc.ownerId ?? props.ownerId,
    instances: props.serviceType === "cron" ? props.instances : (d.numInstances ?? props.instances),
    plan: managed("plan", d.plan),
    healthCheckPath: managed("healthCheckPath", d.healthCheckPath || undefined),
    dockerCommand: managed("dockerCommand", run.dockerCommand),
    preDeployCommand: managed("preDeployCommand", run.preDeployCommand),
    schedule: managed("schedule", d.schedule || undefined),
    registryCredentialId: managed("registryCredentialId", run.registryCredentialId),
  };
}

/** The inputs of a service read by id alone (`pulumi import`). */
export function inputsForImport(svc: ApiService, baseUrl: string): ServiceInputs {
  const d = svc.serviceDetails ?? {};
  const type = TYPES.find((t) => API_TYPES[t] === svc.type);
  if (!type) throw new Error(`service ${svc.id} has type "${svc.type}", which fleetgate does not manage`);
  const run = liveRunSettings(svc);
  return withoutUndefined({
    name: svc.name,
    serviceType: type,
    image: svc.image?.imagePath ?? svc.imagePath ?? "",
    healthCheckPath: type === "web" ? d.healthCheckPath || undefined : undefined,
    plan: d.plan,
    region: d.region ?? "oregon",
    instances: d.numInstances ?? 1,
    dockerCommand: run.dockerCommand,
    preDeployCommand: run.preDeployCommand,
    schedule: d.schedule || undefined,
    registryCredentialId: run.registryCredentialId,
    ownerId: svc.ownerId,
    baseUrl,
  });
}

/** The fields whose declared value differs from the recorded one, and how. */
function fieldDiffs(olds: ServiceOutputs, news: ServiceInputs): Record<string, PropertyDiff> {
  const out: Record<string, PropertyDiff> = {};
  const kind = (f: string, replace: boolean): PropertyDiff => {
    const o = (olds as unknown as Props)[f];
    const n = (news as unknown as Props)[f];
    const base = blank(o) ? "add" : blank(n) ? "delete" : "update";
    return { kind: replace ? (`${base}Replace` as PropertyDiff["kind"]) : base, inputDiff: true };
  };
  for (const f of REPLACE_FIELDS) if (!same(olds[f], news[f])) out[f] = kind(f, true);
  if (!sameBaseUrl(olds.baseUrl, news.baseUrl)) out.baseUrl = kind("baseUrl", true);
  for (const f of [...PATCH_FIELDS, ...LOCAL_FIELDS]) if (!same(olds[f], news[f])) out[f] = kind(f, false);
  if (!same(olds.instances, news.instances)) out.instances = kind("instances", false);
  if (!sameImage(olds.image, news.image)) out.image = kind("image", false);
  Object.assign(out, diskDiffs(olds.disk, news.disk));
  return out;
}

function checkInputs(news: Props, olds?: Props): CheckOutcome["failures"] {
  const failures: { property: string; reason: string }[] = [];
  const known = (k: string) => news[k] !== undefined && !isUnknown(news[k]);
  const who = typeof news.name === "string" ? `service "${news.name}"` : "the service";
  const fail = (property: string, reason: string) => failures.push({ property, reason });
  for (const k of ["name", "image", "region", "ownerId", "baseUrl"]) {
    if (news[k] === undefined) fail(k, `${who}: ${k} is required`);
    else if (known(k) && (typeof news[k] !== "string" || news[k] === ""))
      fail(k, `${who}: ${k} must be a non-empty string`);
  }
  if (known("serviceType") && !TYPES.includes(news.serviceType as ServiceType))
    fail("serviceType", `${who}: serviceType must be one of ${TYPES.join(", ")}`);
  if (news.serviceType === undefined) fail("serviceType", `${who}: serviceType is required`);
  if (known("instances") && !(Number.isInteger(news.instances) && (news.instances as number) >= 0))
    fail("instances", `${who}: instances must be a whole number of 0 or more`);
  if (known("ownerId") && typeof news.ownerId === "string" && !/^(tea|usr)-[a-z0-9]+$/.test(news.ownerId))
    fail("ownerId", `${who}: ownerId must be a Render owner id such as tea-abc123`);
  if (known("baseUrl") && typeof news.baseUrl === "string") {
    try {
      new URL(news.baseUrl);
    } catch {
      fail("baseUrl", `${who}: baseUrl must be a URL such as https://api.render.com/v1`);
    }
  }
  if (known("image") && typeof news.image === "string") {
    try {
      normalizeImageRef(news.image);
    } catch (e) {
      fail("image", `${who}: image ${(e as Error).message}`);
    }
  }
  const type = news.serviceType;
  if (known("serviceType") && type !== "web" && !blank(news.healthCheckPath)) {
    fail(
      "healthCheckPath",
      `${who}: Render health-checks only web services; remove healthCheckPath from this ${String(type)} service (add a smoke check for it instead)`,
    );
  }
  if (known("serviceType") && type === "cron" && blank(news.schedule))
    fail("schedule", `${who}: a cron service needs a schedule such as "0 * * * *"`);
  if (known("serviceType") && type !== "cron" && !blank(news.schedule))
    fail("schedule", `${who}: only cron services take a schedule; remove it or set serviceType: cron`);
  if (!isUnknown(news.disk)) {
    const recorded = olds?.disk && !isUnknown(olds.disk) ? (olds.disk as DiskInputs) : undefined;
    failures.push(...checkDisk(who, known("serviceType") ? type : undefined, news.disk, recorded));
  }
  return failures;
}

/** The service of this name in the owner, if there is one (adoption). */
async function findByName(s: RenderClientSettings, i: ServiceInputs): Promise<ApiService | undefined> {
  const found = await listAll<ApiService>(s, "/services", "service", { name: i.name, ownerId: i.ownerId });
  return found.find((x) => x.name === i.name && x.ownerId === i.ownerId);
}

async function applyChanges(
  s: RenderClientSettings,
  id: string,
  olds: ServiceOutputs | undefined,
  news: ServiceInputs,
): Promise<ApiService> {
  const path = `/services/${encodeURIComponent(id)}`;
  const changed = olds
    ? Object.keys(fieldDiffs(olds, news))
    : ["image", "instances", "disk", ...PATCH_FIELDS];
  // The disk plan is computed (and a shrink refused) before anything is written.
  const disk = changed.some((f) => f.startsWith("disk"))
    ? await planDisk(s, id, news.disk)
    : ({ action: "none" } as const);
  let svc: ApiService | undefined;
  if (changed.some((f) => (PATCH_FIELDS as readonly string[]).includes(f) || f === "image")) {
    svc = await renderRequest<ApiService>(s, "PATCH", path, {
      name: news.name,
      image: imageBody(news, false),
      serviceDetails: serviceDetails(news, false),
    });
  }
  if (changed.includes("instances") && news.serviceType !== "cron") {
    // An absolute count: safe to repeat.
    await renderRequest(s, "POST", `${path}/scale`, { numInstances: news.instances }, { idempotent: true });
  }
  await applyDisk(s, disk);
  return svc ?? (await renderRequest<ApiService>(s, "GET", path));
}

export const serviceResource: ResourceHandler = {
  type: RENDER_SERVICE,
  schema: serviceSchema,

  async check(olds, news) {
    return {
      inputs: news,
      failures: checkInputs(reveal<Props>(news), olds ? reveal<Props>(olds) : undefined),
    };
  },

  async diff(_id, oldProps, newProps): Promise<ResourceDiff> {
    const olds = reveal<ServiceOutputs>(oldProps);
    const news = reveal<ServiceInputs>(newProps);
    const detailedDiff = fieldDiffs(olds, news);
    const replaces = Object.entries(detailedDiff)
      .filter(([, d]) => d.kind.endsWith("Replace"))
      .map(([f]) => f);
    return {
      changes: Object.keys(detailedDiff).length > 0,
      replaces,
      // Render refuses a second service with the same name: the old one must go first.
      deleteBeforeReplace: replaces.length > 0 && olds.name === news.name,
      detailedDiff,
    };
  },

  async create(props, ctx) {
    const inputs = reveal<ServiceInputs>(props);
    const s = api(ctx, inputs);
    const who = `service "${inputs.name}"`;
    if (inputs.adopt) {
      const existing = await findByName(s, inputs).catch((e: Error) => {
        throw new Error(`${who}: looking for a service to adopt: ${e.message}`);
      });
      if (existing) {
        if (existing.type !== API_TYPES[inputs.serviceType]) {
          throw new Error(
            `${who}: cannot adopt ${existing.id}: it is a ${existing.type} on Render but the config declares serviceType "${inputs.serviceType}"; fix serviceType or rename the service`,
          );
        }
        const region = existing.serviceDetails?.region;
        if (region && region !== inputs.region) {
          throw new Error(
            `${who}: cannot adopt ${existing.id}: it runs in region "${region}" but the config declares "${inputs.region}"; set region: ${region}`,
          );
        }
        try {
          const svc = await applyChanges(s, existing.id, undefined, inputs);
          return { id: existing.id, outs: outputsOf(inputs, svc, true) as unknown as Props };
        } catch (e) {
          throw new Error(`${who} (${existing.id}, adopted): ${(e as Error).message}`);
        }
      }
    }
    let created: { service: ApiService };
    try {
      created = await renderRequest<{ service: ApiService }>(s, "POST", "/services", {
        type: API_TYPES[inputs.serviceType],
        name: inputs.name,
        ownerId: inputs.ownerId,
        image: imageBody(inputs, true),
        serviceDetails: serviceDetails(inputs, true),
      });
    } catch (e) {
      if ((e as { status?: number }).status === 409) {
        throw new Error(
          `${who}: ${(e as Error).message}; a service with this name already exists in ${inputs.ownerId}. ` +
            `To take it over (same service, same URL, its env vars kept), set \`adopt: true\` on this service ` +
            `(or \`platform.adopt: true\` for the whole stack) and run \`pulumi up\` again; or choose another name`,
        );
      }
      throw new Error(`${who}: ${(e as Error).message}`);
    }
    if (!created?.service?.id)
      throw new Error(`${who}: Render API POST /services answered without a service id`);
    return { id: created.service.id, outs: outputsOf(inputs, created.service) as unknown as Props };
  },

  async update(id, oldProps, newProps, ctx) {
    const olds = reveal<ServiceOutputs>(oldProps);
    const news = reveal<ServiceInputs>(newProps);
    try {
      const svc = await applyChanges(api(ctx, news), id, olds, news);
      return { outs: outputsOf(news, svc, olds.adopted) as unknown as Props };
    } catch (e) {
      throw new Error(`service "${news.name}" (${id}): ${(e as Error).message}`);
    }
  },

  async read(id, oldProps, ctx) {
    const props = oldProps ? reveal<ServiceOutputs>(oldProps) : undefined;
    const baseUrl = props?.baseUrl ?? defaultBaseUrl(ctx);
    const s = ctx.render({
      baseUrl,
      apiKeyConfig: props?.apiKeyConfig,
      requestsPerSecond: props?.requestsPerSecond,
    });
    let svc: ApiService;
    try {
      svc = await renderRequest<ApiService>(s, "GET", `/services/${encodeURIComponent(id)}`);
    } catch (e) {
      if (await isGone(s, e, id)) return undefined; // deleted outside Pulumi
      throw new Error(`service ${props ? `"${props.name}" ` : ""}(${id}): ${(e as Error).message}`);
    }
    let inputs = props ? withoutUndefined(inputsFromLive(props, svc)) : inputsForImport(svc, baseUrl);
    // The disk is read when declared (drift) or on import; an undeclared disk stays unmanaged.
    if (!props || props.disk) {
      let live;
      try {
        live = await liveDisk(s, id);
      } catch (e) {
        throw new Error(
          `service ${props ? `"${props.name}" ` : ""}(${id}): reading its disk: ${(e as Error).message}`,
        );
      }
      inputs = withoutUndefined({ ...inputs, disk: live ? diskInputsOf(live) : undefined });
    }
    return {
      id,
      props: outputsOf(inputs, svc, props?.adopted) as unknown as Props,
      inputs: inputs as unknown as Props,
    };
  },

  async delete(id, oldProps, ctx) {
    const props = reveal<ServiceOutputs>(oldProps);
    const s = api(ctx, props);
    try {
      await renderRequest(s, "DELETE", `/services/${encodeURIComponent(id)}`);
    } catch (e) {
      if (await isGone(s, e, id)) return;
      throw new Error(`service "${props.name}" (${id}): ${(e as Error).message}`);
    }
  },
};

/** The API base URL for a read by id alone: the stack's `fleetgate:platform.baseUrl`, else Render's. */
export function defaultBaseUrl(ctx: HandlerContext): string {
  try {
    const platform = JSON.parse(ctx.config("fleetgate:platform") ?? "{}") as { baseUrl?: unknown };
    if (typeof platform.baseUrl === "string" && platform.baseUrl) return platform.baseUrl;
  } catch {
    // not JSON: fall through
  }
  return process.env.RENDER_API_URL ?? "https://api.render.com/v1";
}
