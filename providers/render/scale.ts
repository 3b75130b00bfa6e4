/**
 * `pulumi-nodejs:dynamic/render:Scale`: one scale step of a rollout (docs/waves.md). A service
 * named in `fleet.rollout.scaleDown` gets two: `down` (0 instances, before the first wave deploys)
 * and `up` (its configured instances, after its own deploy). Each step runs when created and again
 * whenever the fleet revision (or its instance count) changes; `POST /scale` sets an absolute
 * count, so repeating a step is safe. Refresh records the live count in `liveInstances`.
 */
import * as pulumi from "@pulumi/pulumi";
import { isNotFound, renderRequest, RenderClientSettings } from "../../provider/render/client";
import { ApiInputs, rememberConfig, renderApiKey } from "../../provider/render/credentials";
import { withoutUndefined } from "../../provider/render/plain";

export type ScalePhase = "down" | "up";

export interface ScaleInputs extends ApiInputs {
  serviceId: string;
  /** Service name, for messages. */
  serviceName: string;
  phase: ScalePhase;
  /** Instances to set. */
  numInstances: number;
  /** The fleet revision: a new revision runs the step again. */
  revision: string;
}

export interface ScaleOutputs extends ScaleInputs {
  /** When the step last set the count. */
  scaledAt: string;
  /** The instance count Render reported at the last create/update/refresh. */
  liveInstances?: number;
}

/** Inputs whose change runs the step again. */
const TRIGGERS: (keyof ScaleInputs)[] = ["serviceId", "phase", "numInstances", "revision"];

function settings(inputs: ApiInputs): RenderClientSettings {
  return {
    baseUrl: inputs.baseUrl,
    apiKey: renderApiKey(inputs.apiKeyConfig),
    requestsPerSecond: inputs.requestsPerSecond,
  };
}

async function scale(inputs: ScaleInputs): Promise<ScaleOutputs> {
  const path = `/services/${encodeURIComponent(inputs.serviceId)}/scale`;
  try {
    // Absolute count: safe to retry on 5xx/network errors.
    await renderRequest(
      settings(inputs),
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

export const scaleProvider: pulumi.dynamic.ResourceProvider = {
  async configure(req) {
    rememberConfig(req.config);
  },

  async diff(_id, olds: ScaleOutputs, news: ScaleInputs) {
    return { changes: TRIGGERS.some((f) => olds[f] !== news[f]) };
  },

  async create(inputs: ScaleInputs) {
    return { id: `${inputs.serviceId}-scale-${inputs.phase}`, outs: await scale(inputs) };
  },

  async update(_id, _olds: ScaleOutputs, news: ScaleInputs) {
    return { outs: await scale(news) };
  },

  async read(id, props?: ScaleOutputs) {
    if (!props) return { id, props };
    try {
      const svc = await renderRequest<{ serviceDetails?: { numInstances?: number } }>(
        settings(props),
        "GET",
        `/services/${encodeURIComponent(props.serviceId)}`,
      );
      const live = svc.serviceDetails?.numInstances;
      return { id, props: { ...props, ...(live !== undefined ? { liveInstances: live } : {}) } };
    } catch (e) {
      if (isNotFound(e)) return { id: "", props: {} }; // the service is gone, and with it the step
      throw new Error(`service "${props.serviceName}" (${props.serviceId}): ${(e as Error).message}`);
    }
  },

  // A step is a record of what was done; forgetting it changes nothing on Render (the service's
  // own `instances` stays the source of truth).
  async delete() {},
};

export interface ScaleArgs {
  /** Render id of the service. */
  serviceId: pulumi.Input<string>;
  /** Service name, for messages. */
  serviceName: pulumi.Input<string>;
  /** `down` before the rollout, `up` after the service's own deploy. */
  phase: pulumi.Input<ScalePhase>;
  /** Instances to set (0 for `down`, the configured `instances` for `up`). */
  numInstances: pulumi.Input<number>;
  /** The fleet revision: the step runs again when it changes. */
  revision: pulumi.Input<string>;
  /** Render API base URL. */
  baseUrl: pulumi.Input<string>;
  /** Config key holding the API key (`fleetgate:<key>`); RENDER_API_KEY when unset. */
  apiKeyConfig?: pulumi.Input<string>;
  /** Client-side rate limit on API calls (requests per second; default 10). */
  requestsPerSecond?: pulumi.Input<number>;
}

/** Scales a Render service to a number of instances as one step of a rollout. */
export class Scale extends pulumi.dynamic.Resource {
  public readonly scaledAt!: pulumi.Output<string>;
  public readonly liveInstances!: pulumi.Output<number | undefined>;

  constructor(name: string, args: ScaleArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      scaleProvider,
      name,
      { ...args, scaledAt: undefined, liveInstances: undefined },
      opts,
      "render",
      "Scale",
    );
  }
}
