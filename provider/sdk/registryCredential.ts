/**
 * Program side of `fleetgate:render:RegistryCredential` (provider/render/registryCredential.ts).
 */
import * as pulumi from "@pulumi/pulumi";
import { RENDER_REGISTRY_CREDENTIAL } from "../resourceTypes";
import { definedInputs } from "./inputs";

export interface RegistryCredentialArgs {
  /** Name shown in the Render dashboard. */
  name: pulumi.Input<string>;
  /** GITHUB, GITLAB, DOCKER, GOOGLE_ARTIFACT or AWS_ECR. */
  registry: pulumi.Input<"GITHUB" | "GITLAB" | "DOCKER" | "GOOGLE_ARTIFACT" | "AWS_ECR">;
  /** Registry user name. */
  username: pulumi.Input<string>;
  /** Access token or password; kept secret. */
  authToken: pulumi.Input<string>;
  /** Workspace id (`tea-…`/`usr-…`); a change replaces the credential. */
  ownerId: pulumi.Input<string>;
  /** Render API base URL. */
  baseUrl: pulumi.Input<string>;
  /** Config key holding the API key (`fleetgate:<key>`). */
  apiKeyConfig?: pulumi.Input<string>;
  /** Optional cap on API calls per second. */
  requestsPerSecond?: pulumi.Input<number>;
}

/** A Render registry credential; pass its `id` as a service's `registryCredentialId`. */
export class RegistryCredential extends pulumi.CustomResource {
  constructor(name: string, args: RegistryCredentialArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      RENDER_REGISTRY_CREDENTIAL,
      name,
      { ...definedInputs(args), authToken: pulumi.secret(args.authToken) },
      { ...opts, additionalSecretOutputs: ["authToken", ...(opts?.additionalSecretOutputs ?? [])] },
    );
  }
}
