/**
 * What one resource type implements to be served by the plugin host (host.ts). Values arrive as
 * the engine hands them: secrets wrapped and unknowns as `UNKNOWN` (render/wire.ts).
 */
import { RenderClientSettings } from "./render/client";
import { ResourceDiff } from "./render/wire";

/** A resource's properties as plain JSON. */
export type Props = Record<string, unknown>;

export interface CheckOutcome {
  /** The inputs to use (normalized); the news unchanged when omitted. */
  inputs?: Props;
  /** Field errors; each names the property and the fix. */
  failures?: { property: string; reason: string }[];
}

/** A property of the package schema (a subset of Pulumi's schema). */
export interface PropertySchema {
  type?: "string" | "number" | "integer" | "boolean" | "array" | "object";
  description?: string;
  items?: PropertySchema;
  additionalProperties?: PropertySchema;
  secret?: boolean;
  enum?: string[];
}

/** One resource's part of the package schema. */
export interface ResourceSchema {
  description: string;
  inputProperties: Record<string, PropertySchema>;
  requiredInputs: string[];
  properties: Record<string, PropertySchema>;
  required: string[];
}

export interface HandlerContext {
  urn: string;
  /** The resource's name (last URN segment). */
  name: string;
  /**
   * Client settings for Render: base URL and optional rate cap from the inputs, the API key from
   * the provider config (`fleetgate:<apiKeyConfig | renderApiKey>`) or RENDER_API_KEY.
   */
  render(inputs: {
    baseUrl: string;
    apiKeyConfig?: string;
    requestsPerSecond?: number;
  }): RenderClientSettings;
  /** A provider config value by full key (`fleetgate:platform`), as the engine sent it. */
  config(key: string): string | undefined;
}

export interface ResourceHandler {
  /** Type token from resourceTypes.ts. */
  type: string;
  schema: ResourceSchema;
  check?(olds: Props, news: Props, ctx: HandlerContext): Promise<CheckOutcome>;
  diff(id: string, olds: Props, news: Props, ctx: HandlerContext): Promise<ResourceDiff>;
  create(inputs: Props, ctx: HandlerContext): Promise<{ id: string; outs: Props }>;
  /**
   * `props` is undefined for `pulumi import` (build the state from the live object alone).
   * Returns undefined when the object is gone (only on Render's own not-found for that id).
   */
  read(
    id: string,
    props: Props | undefined,
    ctx: HandlerContext,
  ): Promise<{ id: string; props: Props; inputs?: Props } | undefined>;
  update(id: string, olds: Props, news: Props, ctx: HandlerContext): Promise<{ outs: Props }>;
  delete(id: string, props: Props, ctx: HandlerContext): Promise<void>;
}
