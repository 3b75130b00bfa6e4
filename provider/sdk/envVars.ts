/**
 * Program side of `fleetgate:render:EnvVars` (served by the fleetgate plugin, provider/render/envVars.ts):
 * the complete env-var set of one Render service, the union of every layer that applies to it.
 */
import * as pulumi from "@pulumi/pulumi";
import { RENDER_ENV_VARS } from "../resourceTypes";
import { definedInputs } from "./inputs";

export interface EnvVarsArgs {
  /** Render id of the service. */
  serviceId: pulumi.Input<string>;
  /** Service name, for messages. */
  serviceName: pulumi.Input<string>;
  /** Every declared key and its value; each value is stored as a secret, keys stay readable. */
  vars: Record<string, pulumi.Input<string>>;
  /** Per key, the layer that declared it (`set:<name>` or `service`). */
  sources?: pulumi.Input<Record<string, string>>;
  /** The fleet's environment (dev, prod, …), for policies. */
  environment?: pulumi.Input<string>;
  /** Declared keys whose value is plain config, not a secret reference (for policies). */
  plainKeys?: pulumi.Input<string[]>;
  /** Render API base URL, e.g. `https://api.render.com/v1`. */
  baseUrl: pulumi.Input<string>;
  /** Config key holding the API key (`fleetgate:<key>`); `renderApiKey` / RENDER_API_KEY when unset. */
  apiKeyConfig?: pulumi.Input<string>;
  /** Client-side rate limit on API calls (requests per second). */
  requestsPerSecond?: pulumi.Input<number>;
}

/** The complete merged env-var set of one Render service. */
export class EnvVars extends pulumi.CustomResource {
  /** Keys this resource wrote and owns. */
  public readonly ownedKeys!: pulumi.Output<string[]>;
  /** Keys found on the service that no layer declares (kept as they are). */
  public readonly foreignKeys!: pulumi.Output<string[]>;
  /** Changes whenever any declared value changes (an HMAC: exposes no value); the Deploy re-runs on it. */
  public readonly version!: pulumi.Output<string>;

  constructor(name: string, args: EnvVarsArgs, opts?: pulumi.CustomResourceOptions) {
    const vars = Object.fromEntries(Object.entries(args.vars).map(([k, v]) => [k, pulumi.secret(v)]));
    super(
      RENDER_ENV_VARS,
      name,
      { ...definedInputs(args), vars, ownedKeys: undefined, foreignKeys: undefined, version: undefined },
      opts,
    );
  }
}
