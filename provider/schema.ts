/**
 * The package schema `pulumi package get-schema ./provider` prints: each handler's part, plus the
 * provider's config. Enough to generate typed SDKs for other languages.
 */
import { ResourceHandler } from "./handler";
import { PACKAGE } from "./resourceTypes";

export function packageSchema(version: string, handlers: ResourceHandler[]): string {
  return JSON.stringify(
    {
      name: PACKAGE,
      displayName: "fleetgate",
      version,
      description: "Render resources for fleetgate: services, their env vars, deploys and scale steps.",
      license: "Apache-2.0",
      config: {
        variables: {
          renderApiKey: {
            type: "string",
            secret: true,
            description: "Render API key (else RENDER_API_KEY in the environment of `pulumi`).",
          },
        },
      },
      provider: {
        description: "The fleetgate provider. The Render API key comes from its config or RENDER_API_KEY.",
        inputProperties: {
          renderApiKey: { type: "string", secret: true, description: "Render API key." },
        },
      },
      resources: Object.fromEntries(handlers.map((h) => [h.type, h.schema])),
      language: {
        nodejs: { packageName: "@fleetgate/render", dependencies: { "@pulumi/pulumi": "^3.142.0" } },
      },
    },
    null,
    2,
  );
}
