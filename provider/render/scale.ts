/**
 * `fleetgate:render:Scale`: one scale step of a rollout (docs/waves.md). A service named in
 * `fleet.rollout.scaleDown` gets two: `down` (0 instances, before the first wave deploys) and `up`
 * (its configured instances, after its own deploy). Each step runs when created and again whenever
 * the fleet revision (or its instance count) changes; `POST /scale` sets an absolute count, so
 * repeating a step is safe. Refresh records the live count in `liveInstances`.
 */
import { Props, ResourceHandler, ResourceSchema } from "../handler";
import { RENDER_SCALE } from "../resourceTypes";
import { isGone, renderRequest } from "./client";
import { withoutUndefined } from "./plain";
import { normalizeBaseUrl, PropertyDiff, ResourceDiff, reveal } from "./wire";

export type ScalePhase = "down" | "up";

export interface ScaleInputs {
  serviceId: string;
  /** Service name, for messages. */
  serviceName: string;
  phase: ScalePhase;
  /** Instances to set. */
  numInstances: number;
  /** The fleet revision: a new revision runs the step again. */
  revision: string;
  baseUrl: string;
  apiKeyConfig?: string;
  requestsPerSecond?: number;
}

export interface ScaleOutputs extends ScaleInputs {
  /** When the step last set the count. */
  scaledAt: string;
  /** The instance count Render reported at the last create/update/refresh. */
  liveInstances?: number;
}

/** Inputs whose change runs the step again. */
const TRIGGERS = ["serviceId", "phase", "numInstances", "revision"] as const;

export const scaleSchema: ResourceSchema = {
  description: "Scales a Render service to a number of instances as one step of a rollout.",
  inputProperties: {
    serviceId: { type: "string", description: "Render id of the service." },
    serviceName: { type: "string", description: "Service name, for messages." },
    phase: { type: "string", enum: ["down", "up"], description: "`down` before the rollout, `up` after." },
    numInstances: { type: "integer", description: "Instances to set." },
    revision: { type: "string", description: "The fleet revision: the step runs again when it changes." },
    baseUrl: { type: "string", description: "Render API base URL." },
    apiKeyConfig: { type: "string", description: "Config key holding the API key." },
    requestsPerSecond: { type: "number", description: "Optional cap on API calls per second." },
  },
  requiredInputs: ["serviceId", "serviceName", "phase", "numInstances", "revision", "baseUrl"],
  properties: {
    scaledAt: { type: "string", description: "When the step last set the count." },
    liveInstances: { type: "integer", description: "Instance count Render reported last." },
  },
  required: ["scaledAt"],
};

export const scaleResource: ResourceHandler = {
  type: RENDER_SCALE,
  schema: scaleSchema,

  async diff(_id, oldProps, newProps): Promise<ResourceDiff> {
    const olds = reveal<ScaleOutputs>(oldProps);
    const news = reveal<ScaleInputs>(newProps);
    const detailedDiff: Record<string, PropertyDiff> = {};
    for (const f of TRIGGERS) if (olds[f] !== news[f]) detailedDiff[f] = { kind: "update", inputDiff: true };
    // A real change of API endpoint is recorded; a cosmetic one (case, trailing `/`) is nothing.
    if (normalizeBaseUrl(olds.baseUrl) !== normalizeBaseUrl(news.baseUrl))
      detailedDiff.baseUrl = { kind: "update", inputDiff: true };
    return { changes: Object.keys(detailedDiff).length > 0, detailedDiff };
  },

  async create(props, ctx) {
    const inputs = reveal<ScaleInputs>(props);
    return { id: `${inputs.serviceId}-scale-${inputs.phase}`, outs: await scale(inputs, ctx) };
  },

  async update(_id, _olds, newProps, ctx) {
    return { outs: await scale(reveal<ScaleInputs>(newProps), ctx) };
  },

  async read(id, oldProps, ctx) {
    if (!oldProps)
      throw new Error(`a scale step cannot be imported (${id}): it is a record of a rollout step`);
    const props = reveal<ScaleOutputs>(oldProps);
    const s = ctx.render(props);
    try {
      const svc = await renderRequest<{ serviceDetails?: { numInstances?: number } }>(
        s,
        "GET",
        `/services/${encodeURIComponent(props.serviceId)}`,
      );
      const live = svc.serviceDetails?.numInstances;
      return { id, props: withoutUndefined({ ...props, liveInstances: live ?? props.liveInstances }) };
    } catch (e) {
      if (await isGone(s, e, props.serviceId)) return undefined; // the service is gone, and the step with it
      throw new Error(`service "${props.serviceName}" (${props.serviceId}): ${(e as Error).message}`);
    }
  },

  // A step is a record of what was done; forgetting it changes nothing on Render (the service's
  // own `instances` stays the source of truth).
  async delete() {},
};

async function scale(inputs: ScaleInputs, ctx: Parameters<ResourceHandler["create"]>[1]): Promise<Props> {
  const path = `/services/${encodeURIComponent(inputs.serviceId)}/scale`;
  try {
    // Absolute count: safe to retry on 5xx/network errors.
    await renderRequest(
      ctx.render(inputs),
      "POST",
      path,
      { numInstances: inputs.numInstances },
      { idempotent: true },
    );
  } catch (e) {
    throw new Error(
      `service "${inputs.serviceName}" (${inputs.serviceId}): scale ${inputs.phase} to ${inputs.numInstances} instance(s) failed: ${(e as Error).message}`,
    );
  }
  return withoutUndefined({
    ...inputs,
    scaledAt: new Date().toISOString(),
    liveInstances: inputs.numInstances,
  });
}
