/**
 * `pulumi-nodejs:dynamic/render:Service`: one image-backed Render service (web, private, worker,
 * cron). Create/update/delete over the REST API; instances through the scale endpoint; type,
 * region and owner cannot change in place (replace); refresh reads the live service and reports
 * drift. A PATCH does not deploy: the Deploy step does.
 */
import * as pulumi from "@pulumi/pulumi";
import { normalizeImageRef } from "../../config/image";
import { isNotFound, renderRequest, RenderClientSettings } from "../../provider/render/client";
import { ApiInputs, rememberConfig, renderApiKey } from "../../provider/render/credentials";
import { withoutUndefined } from "../../provider/render/plain";

export type ServiceType = "web" | "private" | "worker" | "cron";

const API_TYPES: Record<ServiceType, string> = {
  web: "web_service",
  private: "private_service",
  worker: "background_worker",
  cron: "cron_job",
};

export interface RenderServiceInputs {
  name: string;
  serviceType: ServiceType;
  /** The pinned image reference from the config. */
  image: string;
  /** True for web services (reachable from the internet). */
  public: boolean;
  healthCheckPath?: string;
  plan?: string;
  region: string;
  instances: number;
  dockerCommand?: string;
  preDeployCommand?: string;
  schedule?: string;
  ownerId: string;
  baseUrl: string;
  apiKeyConfig?: string;
  /** Client-side rate limit (requests per second). */
  requestsPerSecond?: number;
}

export interface RenderServiceOutputs extends RenderServiceInputs {
  /** `https://<slug>.onrender.com` for web services. */
  url?: string;
  /** The image path as Render normalized it. */
  imagePath: string;
  suspended: boolean;
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
    envSpecificDetails?: { dockerCommand?: string };
    preDeployCommand?: string;
    schedule?: string;
  };
}

/** Fields that cannot change in place. */
const REPLACE_FIELDS: (keyof RenderServiceInputs)[] = ["serviceType", "region", "ownerId", "baseUrl"];
/** Fields an update changes (besides the image, compared normalized). */
const UPDATE_FIELDS: (keyof RenderServiceInputs)[] = [
  "name",
  "healthCheckPath",
  "plan",
  "instances",
  "dockerCommand",
  "preDeployCommand",
  "schedule",
  "public",
  "apiKeyConfig",
];

function settings(inputs: ApiInputs): RenderClientSettings {
  return {
    baseUrl: inputs.baseUrl,
    apiKey: renderApiKey(inputs.apiKeyConfig),
    requestsPerSecond: inputs.requestsPerSecond,
  };
}

function sameImage(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return normalizeImageRef(a) === normalizeImageRef(b);
}

/** The `serviceDetails` of a create or update call. */
function serviceDetails(i: RenderServiceInputs, forCreate: boolean): Record<string, unknown> {
  const d: Record<string, unknown> = {};
  if (forCreate) {
    d.runtime = "image";
    d.region = i.region;
    if (i.serviceType !== "cron") d.numInstances = i.instances;
  }
  if (i.plan !== undefined) d.plan = i.plan;
  if (i.serviceType === "web" || i.serviceType === "private") d.healthCheckPath = i.healthCheckPath ?? "";
  d.envSpecificDetails = { dockerCommand: i.dockerCommand ?? "" };
  if (i.serviceType !== "cron") d.preDeployCommand = i.preDeployCommand ?? "";
  if (i.serviceType === "cron") d.schedule = i.schedule;
  return d;
}

function outputsOf(inputs: RenderServiceInputs, svc: ApiService): RenderServiceOutputs {
  return withoutUndefined({
    ...inputs,
    url: svc.serviceDetails?.url,
    imagePath: svc.image?.imagePath ?? svc.imagePath ?? normalizeImageRef(inputs.image),
    suspended: svc.suspended === "suspended",
  });
}

/** The inputs as the live service has them; fields the config leaves unset stay unset. */
export function inputsFromLive(props: RenderServiceInputs, svc: ApiService): RenderServiceInputs {
  const d = svc.serviceDetails ?? {};
  const type = (Object.keys(API_TYPES) as ServiceType[]).find((t) => API_TYPES[t] === svc.type);
  const liveImage = svc.image?.imagePath ?? svc.imagePath;
  const managed = <K extends keyof RenderServiceInputs>(k: K, live: RenderServiceInputs[K] | undefined) =>
    props[k] === undefined ? props[k] : (live ?? ("" as RenderServiceInputs[K]));
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
    dockerCommand: managed("dockerCommand", d.envSpecificDetails?.dockerCommand || undefined),
    preDeployCommand: managed("preDeployCommand", d.preDeployCommand || undefined),
    schedule: managed("schedule", d.schedule || undefined),
  };
}

function changedFields(olds: RenderServiceInputs, news: RenderServiceInputs): string[] {
  const changed = UPDATE_FIELDS.filter((f) => (olds[f] ?? null) !== (news[f] ?? null)) as string[];
  if (!sameImage(olds.image, news.image)) changed.push("image");
  return changed;
}

export const serviceProvider: pulumi.dynamic.ResourceProvider = {
  async configure(req) {
    rememberConfig(req.config);
  },

  async diff(_id, olds: RenderServiceOutputs, news: RenderServiceInputs) {
    const replaces = REPLACE_FIELDS.filter((f) => (olds[f] ?? null) !== (news[f] ?? null)) as string[];
    const changes = replaces.length > 0 || changedFields(olds, news).length > 0;
    // Render refuses a second service with the same name: the old one must go first.
    return { changes, replaces, deleteBeforeReplace: replaces.length > 0 && olds.name === news.name };
  },

  async create(inputs: RenderServiceInputs) {
    const s = settings(inputs);
    let created: { service: ApiService };
    try {
      created = await renderRequest<{ service: ApiService }>(s, "POST", "/services", {
        type: API_TYPES[inputs.serviceType],
        name: inputs.name,
        ownerId: inputs.ownerId,
        image: { ownerId: inputs.ownerId, imagePath: inputs.image },
        serviceDetails: serviceDetails(inputs, true),
      });
    } catch (e) {
      if ((e as { status?: number }).status === 409) {
        throw new Error(
          `service "${inputs.name}": ${(e as Error).message}; a service with this name already exists in ${inputs.ownerId}: ` +
            `adopt it with \`pulumi import\` or choose another name`,
        );
      }
      throw new Error(`service "${inputs.name}": ${(e as Error).message}`);
    }
    if (!created?.service?.id)
      throw new Error(`service "${inputs.name}": Render API POST /services answered without a service id`);
    return { id: created.service.id, outs: outputsOf(inputs, created.service) };
  },

  async update(id, olds: RenderServiceOutputs, news: RenderServiceInputs) {
    const s = settings(news);
    const path = `/services/${encodeURIComponent(id)}`;
    try {
      const changed = changedFields(olds, news);
      let svc: ApiService | undefined;
      if (changed.some((f) => f !== "instances" && f !== "public" && f !== "apiKeyConfig")) {
        svc = await renderRequest<ApiService>(s, "PATCH", path, {
          name: news.name,
          image: { imagePath: news.image },
          serviceDetails: serviceDetails(news, false),
        });
      }
      if (changed.includes("instances") && news.serviceType !== "cron") {
        await renderRequest(
          s,
          "POST",
          `${path}/scale`,
          { numInstances: news.instances },
          { idempotent: true },
        );
      }
      svc = svc ?? (await renderRequest<ApiService>(s, "GET", path));
      return { outs: outputsOf(news, svc) };
    } catch (e) {
      throw new Error(`service "${news.name}" (${id}): ${(e as Error).message}`);
    }
  },

  async read(id, props?: RenderServiceOutputs) {
    if (!props) return { id, props };
    let svc: ApiService;
    try {
      svc = await renderRequest<ApiService>(settings(props), "GET", `/services/${encodeURIComponent(id)}`);
    } catch (e) {
      if (isNotFound(e)) return { id: "", props: {} }; // deleted outside Pulumi
      throw new Error(`service "${props.name}" (${id}): ${(e as Error).message}`);
    }
    const inputs = withoutUndefined(inputsFromLive(props, svc));
    return { id, props: outputsOf(inputs, svc), inputs };
  },

  async delete(id, props: RenderServiceOutputs) {
    try {
      await renderRequest(settings(props), "DELETE", `/services/${encodeURIComponent(id)}`);
    } catch (e) {
      if (isNotFound(e)) return;
      throw new Error(`service "${props.name}" (${id}): ${(e as Error).message}`);
    }
  },
};

export interface RenderServiceArgs {
  /** Service name on Render (unique per owner). */
  name: pulumi.Input<string>;
  /** web (public), private (fleet-internal), worker or cron; changing it replaces the service. */
  serviceType: pulumi.Input<ServiceType>;
  /** The pinned image reference (`repo@sha256:…` or an exact version tag). */
  image: pulumi.Input<string>;
  /** True for web services. */
  public: pulumi.Input<boolean>;
  /** Health check path (web and private services). */
  healthCheckPath?: pulumi.Input<string>;
  /** Render plan (starter, standard, ...); left to Render's default when unset. */
  plan?: pulumi.Input<string>;
  /** Region; changing it replaces the service. */
  region: pulumi.Input<string>;
  /** Number of instances (set through the scale endpoint). */
  instances: pulumi.Input<number>;
  /** Overrides the image's CMD. */
  dockerCommand?: pulumi.Input<string>;
  /** Runs before each deploy (e.g. migrations). */
  preDeployCommand?: pulumi.Input<string>;
  /** Cron schedule (cron services only). */
  schedule?: pulumi.Input<string>;
  /** Workspace id (`tea-…`/`usr-…`); changing it replaces the service. */
  ownerId: pulumi.Input<string>;
  /** Render API base URL. */
  baseUrl: pulumi.Input<string>;
  /** Config key holding the API key (`fleetgate:<key>`); RENDER_API_KEY when unset. */
  apiKeyConfig?: pulumi.Input<string>;
  /** Client-side rate limit on API calls (requests per second; default 10). */
  requestsPerSecond?: pulumi.Input<number>;
}

/** An image-backed Render service. */
export class RenderService extends pulumi.dynamic.Resource {
  public readonly name!: pulumi.Output<string>;
  public readonly url!: pulumi.Output<string | undefined>;
  public readonly imagePath!: pulumi.Output<string>;
  public readonly suspended!: pulumi.Output<boolean>;

  constructor(name: string, args: RenderServiceArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      serviceProvider,
      name,
      { ...args, url: undefined, imagePath: undefined, suspended: undefined },
      opts,
      "render",
      "Service",
    );
  }
}
