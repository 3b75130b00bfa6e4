/**
 * Where the Render API key comes from: the stack's secret config (as handed to the provider's
 * `configure`) or `RENDER_API_KEY` in the environment of `pulumi up`. Never a resource input, so
 * the key is never stored in the state.
 */

/** The part of a Pulumi config the key lookup needs. */
export interface ConfigSource {
  get(key: string): string | undefined;
}

const STORE_KEY = "__fleetgateRenderConfig";

/** Called from every Render provider's `configure`: keeps the stack config for key lookups. */
export function rememberConfig(config: ConfigSource): void {
  (globalThis as unknown as Record<string, ConfigSource>)[STORE_KEY] = config;
}

/** The inputs every Render resource carries to reach the API (no secret among them). */
export interface ApiInputs {
  /** API base URL including the version. */
  baseUrl: string;
  /** Config key (in `fleetgate:`) holding the API key; RENDER_API_KEY otherwise. */
  apiKeyConfig?: string;
  /** Client-side rate limit (requests per second). */
  requestsPerSecond?: number;
}

/** Default config key of the API key (`fleetgate:renderApiKey`). */
export const DEFAULT_API_KEY_CONFIG = "renderApiKey";

/**
 * The API key: `fleetgate:<configKey>` from the stack config if set, else `RENDER_API_KEY`.
 * Throws an error that says how to provide one (and never contains a key).
 */
export function renderApiKey(configKey: string = DEFAULT_API_KEY_CONFIG, config?: ConfigSource): string {
  const source = config ?? (globalThis as unknown as Record<string, ConfigSource | undefined>)[STORE_KEY];
  const fromConfig = source?.get(`fleetgate:${configKey}`);
  if (fromConfig) return fromConfig;
  const fromEnv = process.env.RENDER_API_KEY;
  if (fromEnv) return fromEnv;
  throw new Error(
    `no Render API key: run \`pulumi config set --secret fleetgate:${configKey} <key>\` or set RENDER_API_KEY`,
  );
}
