/**
 * Program side of `fleetgate:render:Deploy` (served by the fleetgate plugin, provider/render/deploy.ts):
 * deploys a Render service's declared image when anything that shapes the running process changes,
 * or when the live deploy is not the one recorded (rollback, out-of-band deploy).
 */
import * as pulumi from "@pulumi/pulumi";
import { RENDER_DEPLOY } from "../resourceTypes";
import { definedInputs } from "./inputs";

export interface DeployArgs {
  /** Render id of the service. */
  serviceId: pulumi.Input<string>;
  /** Service name, for messages. */
  serviceName: pulumi.Input<string>;
  /** The pinned image reference to deploy. */
  image: pulumi.Input<string>;
  /** The service's EnvVars `version`, or `"none"` when it has no env vars. */
  envVersion: pulumi.Input<string>;
  /** Settings that shape the running process (dockerCommand, preDeployCommand, plan, …); a change redeploys. */
  runSettings?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** Render API base URL. */
  baseUrl: pulumi.Input<string>;
  /** Config key holding the API key (`fleetgate:<key>`); `renderApiKey` / RENDER_API_KEY when unset. */
  apiKeyConfig?: pulumi.Input<string>;
  /** Client-side rate limit on API calls (requests per second). */
  requestsPerSecond?: pulumi.Input<number>;
  /** Bound on the wait for live/failed (default 900 s). */
  timeoutSeconds?: pulumi.Input<number>;
  /** Longest time between status polls (default 2000 ms). */
  pollIntervalMs?: pulumi.Input<number>;
}

/** The deploy step of one Render service. */
export class Deploy extends pulumi.CustomResource {
  /** The deploy this step made live: the gates' trigger (`deployment`). */
  public readonly deployId!: pulumi.Output<string>;
  /** The deploy live before this one (the rollback target). */
  public readonly previousDeployId!: pulumi.Output<string | undefined>;
  /** Status of `deployId`; `deactivated` after a refresh when something else went live. */
  public readonly status!: pulumi.Output<string>;
  /** The deploy Render reported live at the last update or refresh. */
  public readonly liveDeployId!: pulumi.Output<string | undefined>;
  /** The image of the live deploy, as Render reports it. */
  public readonly liveImage!: pulumi.Output<string | undefined>;

  constructor(name: string, args: DeployArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      RENDER_DEPLOY,
      name,
      {
        ...definedInputs(args),
        deployId: undefined,
        previousDeployId: undefined,
        status: undefined,
        liveDeployId: undefined,
        liveImage: undefined,
      },
      opts,
    );
  }
}
