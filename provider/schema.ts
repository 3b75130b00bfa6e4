/**
 * The package schema `pulumi package get-schema ./provider` prints: each handler's part, plus the
 * provider's config. Enough to generate typed SDKs for other languages.
 */
import { PropertySchema, ResourceHandler, ResourceSchema } from "./handler";
import { PACKAGE } from "./resourceTypes";

/**
 * A property as Pulumi's schema spells it: allowed values become part of the description (the
 * schema has enums only as named types, which the few string choices here do not need).
 */
function property(p: PropertySchema): PropertySchema {
  const { enum: choices, items, additionalProperties, ...rest } = p;
  return {
    ...rest,
    ...(choices ? { description: `${rest.description ?? ""} One of: ${choices.join(", ")}.`.trim() } : {}),
    ...(items ? { items: property(items) } : {}),
    ...(additionalProperties ? { additionalProperties: property(additionalProperties) } : {}),
  };
}

function resource(r: ResourceSchema): ResourceSchema {
  const map = (o: Record<string, PropertySchema>) =>
    Object.fromEntries(Object.entries(o).map(([k, v]) => [k, property(v)]));
  return { ...r, inputProperties: map(r.inputProperties), properties: map(r.properties) };
}

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
      resources: Object.fromEntries(handlers.map((h) => [h.type, resource(h.schema)])),
      language: {
        nodejs: { packageName: "@fleetgate/render", dependencies: { "@pulumi/pulumi": "^3.142.0" } },
      },
    },
    null,
    2,
  );
}
