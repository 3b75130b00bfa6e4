/**
 * Every resource type token fleetgate registers, in one place: the plugin serves the `fleetgate:`
 * custom resources, components use them, and `policies/lib/resourceTypes.ts` re-exports them.
 */

/** The plugin's package name (`pulumi-resource-fleetgate`, `plugins.providers[].name`). */
export const PACKAGE = "fleetgate";

/** An image-backed Render service. */
export const RENDER_SERVICE = "fleetgate:render:Service";
/** The complete env-var set of one Render service. */
export const RENDER_ENV_VARS = "fleetgate:render:EnvVars";
/** The deploy step of one Render service. */
export const RENDER_DEPLOY = "fleetgate:render:Deploy";
/** One scale step of a rollout. */
export const RENDER_SCALE = "fleetgate:render:Scale";
/** A registry credential for pulling private images. */
export const RENDER_REGISTRY_CREDENTIAL = "fleetgate:render:RegistryCredential";

/** Every custom resource the plugin serves. */
export const PLUGIN_TYPES = [
  RENDER_SERVICE,
  RENDER_ENV_VARS,
  RENDER_DEPLOY,
  RENDER_SCALE,
  RENDER_REGISTRY_CREDENTIAL,
] as const;

/**
 * The dynamic-provider types the Render resources had before the plugin (read by the state
 * migration, scripts/migrate-render-state.ts, and by policies during the upgrade).
 */
export const LEGACY_RENDER_SERVICE = "pulumi-nodejs:dynamic/render:Service";
export const LEGACY_RENDER_ENV_SET = "pulumi-nodejs:dynamic/render:EnvVarSet";
export const LEGACY_RENDER_DEPLOY = "pulumi-nodejs:dynamic/render:Deploy";
export const LEGACY_RENDER_SCALE = "pulumi-nodejs:dynamic/render:Scale";

/** Legacy dynamic type → the plugin type that replaces it (EnvVarSet has no 1:1 successor). */
export const LEGACY_TO_PLUGIN: Record<string, string> = {
  [LEGACY_RENDER_SERVICE]: RENDER_SERVICE,
  [LEGACY_RENDER_DEPLOY]: RENDER_DEPLOY,
  [LEGACY_RENDER_SCALE]: RENDER_SCALE,
};

/** The local platform's dynamic resources. */
export const LOCAL_SERVICE = "pulumi-nodejs:dynamic/local:Service";
export const LOCAL_ENV_FILE = "pulumi-nodejs:dynamic/local:EnvFile";

/** Deploy gates (dynamic providers by design: they are the gates, not Render resources). */
export const SMOKE_SUITE = "pulumi-nodejs:dynamic/checks:SmokeSuite";
export const INTEGRITY_SNAPSHOT = "pulumi-nodejs:dynamic/checks:IntegritySnapshot";
export const INTEGRITY_VERIFY = "pulumi-nodejs:dynamic/checks:IntegrityVerify";
