/**
 * Program side of `fleetgate:render:Scale` (served by the fleetgate plugin, provider/render/scale.ts).
 */
import * as pulumi from "@pulumi/pulumi";
import { RENDER_SCALE } from "../resourceTypes";
import { definedInputs } from "./inputs";

export type ScalePhase = "down" | "up";

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
  /** Config key holding the API key (`fleetgate:<key>`). */
  apiKeyConfig?: pulumi.Input<string>;
  /** Optional cap on API calls per second. */
  requestsPerSecond?: pulumi.Input<number>;
}

/** Scales a Render service to a number of instances as one step of a rollout. */
export class Scale extends pulumi.CustomResource {
  public readonly scaledAt!: pulumi.Output<string>;
  public readonly liveInstances!: pulumi.Output<number | undefined>;

  constructor(name: string, args: ScaleArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      RENDER_SCALE,
      name,
      { ...definedInputs(args), scaledAt: undefined, liveInstances: undefined },
      opts,
    );
  }
}
