/**
 * Program side of `fleetgate:render:Service` (served by the fleetgate plugin, provider/render/service.ts).
 */
import * as pulumi from "@pulumi/pulumi";
import { RENDER_SERVICE } from "../resourceTypes";
import { definedInputs } from "./inputs";

export type ServiceType = "web" | "private" | "worker" | "cron";

export interface ServiceArgs {
  /** Service name on Render (unique per owner); a change renames it in place. */
  name: pulumi.Input<string>;
  /** web (public), private (fleet-internal), worker or cron; a change replaces the service. */
  serviceType: pulumi.Input<ServiceType>;
  /** The pinned image reference (`repo@sha256:…` or an exact version tag); compared normalized. */
  image: pulumi.Input<string>;
  /** Health check path (web services only: Render health-checks nothing else). */
  healthCheckPath?: pulumi.Input<string>;
  /** Render plan (starter, standard, ...); Render's default when unset. */
  plan?: pulumi.Input<string>;
  /** Region; a change replaces the service. */
  region: pulumi.Input<string>;
  /** Number of instances (set through the scale endpoint). */
  instances: pulumi.Input<number>;
  /** Overrides the image's CMD. */
  dockerCommand?: pulumi.Input<string>;
  /** Runs before each deploy (e.g. migrations). */
  preDeployCommand?: pulumi.Input<string>;
  /** Cron schedule (cron services only). */
  schedule?: pulumi.Input<string>;
  /** Workspace id (`tea-…`/`usr-…`); a change replaces the service. */
  ownerId: pulumi.Input<string>;
  /** Render registry credential id (`rgc-…`) for a private image. */
  registryCredentialId?: pulumi.Input<string>;
  /** Take over an existing service of the same name on create (keeps its id, URL and env vars). */
  adopt?: pulumi.Input<boolean>;
  /** Persistent disk (`renderDiskPayload()` of config/disks.ts); Render grows it but never shrinks it. */
  disk?: pulumi.Input<{ name: string; mountPath: string; sizeGB: number }>;
  /** The stack marks the service stateful (its data must live on a disk): for the policy pack only, nothing on Render. */
  stateful?: pulumi.Input<boolean>;
  /** Render API base URL; compared normalized. */
  baseUrl: pulumi.Input<string>;
  /** Config key holding the API key (`fleetgate:<key>`); `renderApiKey`, then RENDER_API_KEY, when unset. */
  apiKeyConfig?: pulumi.Input<string>;
  /** Optional cap on API calls per second (Render's announced quotas pace calls anyway). */
  requestsPerSecond?: pulumi.Input<number>;
}

/** An image-backed Render service. */
export class Service extends pulumi.CustomResource {
  public readonly name!: pulumi.Output<string>;
  public readonly url!: pulumi.Output<string | undefined>;
  public readonly imagePath!: pulumi.Output<string>;
  public readonly suspended!: pulumi.Output<boolean>;
  public readonly adopted!: pulumi.Output<boolean | undefined>;

  constructor(name: string, args: ServiceArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      RENDER_SERVICE,
      name,
      {
        ...definedInputs(args),
        url: undefined,
        imagePath: undefined,
        suspended: undefined,
        adopted: undefined,
      },
      opts,
    );
  }
}
