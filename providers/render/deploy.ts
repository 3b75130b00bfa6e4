/**
 * `pulumi-nodejs:dynamic/render:Deploy`: the deploy step of one Render service. Render does not
 * deploy when a service or its env vars change, so this step sends the pinned image after the env
 * set was pushed, waits (bounded) for `live` or a failure status, and records the deploy that was
 * live before, for rollback. It re-runs when the image or the service's pushed env set changes.
 */
import * as pulumi from "@pulumi/pulumi";
import { isNotFound, renderRequest, RenderClientSettings } from "../../provider/render/client";
import { ApiInputs, rememberConfig, renderApiKey } from "../../provider/render/credentials";
import { withoutUndefined } from "../../provider/render/plain";
import {
  ApiDeploy,
  DEFAULT_WAIT,
  liveDeployId,
  startDeploy,
  waitForDeploy,
} from "../../provider/render/deploys";

export interface DeployInputs {
  serviceId: string;
  serviceName: string;
  /** The pinned image to deploy. */
  image: string;
  /** The version of the service's pushed env set (from the EnvVarSet); a change redeploys. */
  envVersion: string;
  baseUrl: string;
  apiKeyConfig?: string;
  /** Client-side rate limit (requests per second). */
  requestsPerSecond?: number;
  /** Bound on the wait for a final status. */
  timeoutSeconds?: number;
  /** Time between two status polls. */
  pollIntervalMs?: number;
}

export interface DeployOutputs extends DeployInputs {
  deployId: string;
  /** The deploy that was live before this one (the rollback target). */
  previousDeployId?: string;
  status: string;
}

/** Inputs whose change means a new deploy. */
const TRIGGERS: (keyof DeployInputs)[] = ["serviceId", "image", "envVersion"];

function settings(inputs: ApiInputs): RenderClientSettings {
  return {
    baseUrl: inputs.baseUrl,
    apiKey: renderApiKey(inputs.apiKeyConfig),
    requestsPerSecond: inputs.requestsPerSecond,
  };
}

async function deploy(inputs: DeployInputs): Promise<DeployOutputs> {
  const s = settings(inputs);
  const who = `service "${inputs.serviceName}" (${inputs.serviceId})`;
  let previousDeployId: string | undefined;
  let started: ApiDeploy;
  let status: string;
  try {
    previousDeployId = await liveDeployId(s, inputs.serviceId);
    started = await startDeploy(s, inputs.serviceId, inputs.image);
    status = await waitForDeploy(s, inputs.serviceId, started.id, {
      timeoutMs: (inputs.timeoutSeconds ?? DEFAULT_WAIT.timeoutMs / 1000) * 1000,
      intervalMs: inputs.pollIntervalMs ?? DEFAULT_WAIT.intervalMs,
    });
  } catch (e) {
    throw new Error(`${who}: deploy of ${inputs.image} failed: ${(e as Error).message}`);
  }
  if (status !== "live") {
    throw new Error(
      `${who}: deploy ${started.id} of ${inputs.image} ended with status "${status}"` +
        (previousDeployId ? `; the previous live deploy was ${previousDeployId}` : "") +
        `; see the deploy's logs in the Render dashboard`,
    );
  }
  return withoutUndefined({ ...inputs, deployId: started.id, previousDeployId, status });
}

export const deployProvider: pulumi.dynamic.ResourceProvider = {
  async configure(req) {
    rememberConfig(req.config);
  },

  async diff(_id, olds: DeployOutputs, news: DeployInputs) {
    const changes = TRIGGERS.some((f) => olds[f] !== news[f]);
    return { changes, replaces: olds.serviceId !== news.serviceId ? ["serviceId"] : [] };
  },

  async create(inputs: DeployInputs) {
    const outs = await deploy(inputs);
    return { id: `${inputs.serviceId}-deploy`, outs };
  },

  async update(_id, _olds: DeployOutputs, news: DeployInputs) {
    return { outs: await deploy(news) };
  },

  async read(id, props?: DeployOutputs) {
    if (!props) return { id, props };
    try {
      const d = await renderRequest<ApiDeploy>(
        settings(props),
        "GET",
        `/services/${encodeURIComponent(props.serviceId)}/deploys/${encodeURIComponent(props.deployId)}`,
      );
      // A deploy made outside Pulumi deactivates ours: refresh shows it as a status change.
      return { id, props: { ...props, status: d.status } };
    } catch (e) {
      if (isNotFound(e)) return { id: "", props: {} };
      throw new Error(`service "${props.serviceName}": ${(e as Error).message}`);
    }
  },

  // A deploy cannot be undone by deleting it; removing the step only forgets it (the service's
  // own deletion removes its deploys).
  async delete() {},
};

export interface DeployArgs {
  /** Render id of the service. */
  serviceId: pulumi.Input<string>;
  /** Service name, for messages. */
  serviceName: pulumi.Input<string>;
  /** The pinned image reference to deploy. */
  image: pulumi.Input<string>;
  /** The service's env set version (EnvVarSet `versions[name]`), or a constant without a set. */
  envVersion: pulumi.Input<string>;
  /** Render API base URL. */
  baseUrl: pulumi.Input<string>;
  /** Config key holding the API key (`fleetgate:<key>`); RENDER_API_KEY when unset. */
  apiKeyConfig?: pulumi.Input<string>;
  /** Client-side rate limit on API calls (requests per second; default 10). */
  requestsPerSecond?: pulumi.Input<number>;
  /** Bound on the wait for live/failed (default 900 s). */
  timeoutSeconds?: pulumi.Input<number>;
  /** Time between status polls (default 2000 ms). */
  pollIntervalMs?: pulumi.Input<number>;
}

/** Deploys a Render service's pinned image and waits until it is live. */
export class Deploy extends pulumi.dynamic.Resource {
  public readonly deployId!: pulumi.Output<string>;
  public readonly previousDeployId!: pulumi.Output<string | undefined>;
  public readonly status!: pulumi.Output<string>;

  constructor(name: string, args: DeployArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      deployProvider,
      name,
      { ...args, deployId: undefined, previousDeployId: undefined, status: undefined },
      opts,
      "render",
      "Deploy",
    );
  }
}
