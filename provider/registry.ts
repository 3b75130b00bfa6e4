/** The resources the plugin serves: one handler per type token. */
import { ResourceHandler } from "./handler";
import { deployResource } from "./render/deploy";
import { envVarsResource } from "./render/envVars";
import { registryCredentialResource } from "./render/registryCredential";
import { scaleResource } from "./render/scale";
import { serviceResource } from "./render/service";

export const HANDLERS: ResourceHandler[] = [
  serviceResource,
  envVarsResource,
  deployResource,
  scaleResource,
  registryCredentialResource,
];
