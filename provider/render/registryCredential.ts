/**
 * `fleetgate:render:RegistryCredential`: a Render registry credential, so Render can pull private
 * images (e.g. `ghcr.io` images of private repositories). Services reference it by id
 * (`registryCredentialId`). The token is a secret input, kept encrypted in the state and never
 * returned by Render: refresh keeps the recorded one. A change of owner replaces; everything else
 * is a PATCH.
 */
import { Props, ResourceHandler, ResourceSchema } from "../handler";
import { RENDER_REGISTRY_CREDENTIAL } from "../resourceTypes";
import { isGone, renderRequest } from "./client";
import { withoutUndefined } from "./plain";
import { isUnknown, normalizeBaseUrl, PropertyDiff, ResourceDiff, reveal, secret } from "./wire";

export const REGISTRIES = ["GITHUB", "GITLAB", "DOCKER", "GOOGLE_ARTIFACT", "AWS_ECR"] as const;

export interface RegistryCredentialInputs {
  /** Name shown in the Render dashboard. */
  name: string;
  registry: (typeof REGISTRIES)[number];
  username: string;
  /** Personal access token or password (secret). */
  authToken: string;
  ownerId: string;
  baseUrl: string;
  apiKeyConfig?: string;
  requestsPerSecond?: number;
}

interface ApiCredential {
  id: string;
  name: string;
  registry: string;
  username: string;
}

const PATCH_FIELDS = ["name", "registry", "username", "authToken"] as const;

export const registryCredentialSchema: ResourceSchema = {
  description: "A Render registry credential for pulling private images.",
  inputProperties: {
    name: { type: "string", description: "Name shown in the Render dashboard." },
    registry: { type: "string", enum: [...REGISTRIES], description: "Registry kind." },
    username: { type: "string", description: "Registry user name." },
    authToken: { type: "string", secret: true, description: "Access token or password." },
    ownerId: { type: "string", description: "Workspace id; a change replaces the credential." },
    baseUrl: { type: "string", description: "Render API base URL; compared normalized." },
    apiKeyConfig: { type: "string", description: "Config key holding the API key." },
    requestsPerSecond: { type: "number", description: "Optional cap on API calls per second." },
  },
  requiredInputs: ["name", "registry", "username", "authToken", "ownerId", "baseUrl"],
  properties: {
    name: { type: "string", description: "Name." },
    registry: { type: "string", description: "Registry kind." },
    username: { type: "string", description: "Registry user name." },
  },
  required: ["name", "registry", "username"],
};

/** The state: inputs with the token wrapped as a secret. */
function stored(i: RegistryCredentialInputs): Props {
  return withoutUndefined({ ...i, authToken: secret(i.authToken) }) as unknown as Props;
}

function who(i: { name?: string }): string {
  return `registry credential "${i.name ?? "?"}"`;
}

export const registryCredentialResource: ResourceHandler = {
  type: RENDER_REGISTRY_CREDENTIAL,
  schema: registryCredentialSchema,

  async check(_olds, news) {
    const n = reveal<Props>(news);
    const failures: { property: string; reason: string }[] = [];
    for (const k of ["name", "username", "authToken", "ownerId", "baseUrl"]) {
      if (isUnknown(n[k])) continue;
      if (typeof n[k] !== "string" || n[k] === "")
        failures.push({ property: k, reason: `${who(n)}: ${k} is required` });
    }
    if (!isUnknown(n.registry) && !REGISTRIES.includes(n.registry as RegistryCredentialInputs["registry"])) {
      failures.push({
        property: "registry",
        reason: `${who(n)}: registry must be one of ${REGISTRIES.join(", ")}`,
      });
    }
    return { inputs: news, failures };
  },

  async diff(_id, oldProps, newProps): Promise<ResourceDiff> {
    const olds = reveal<RegistryCredentialInputs>(oldProps);
    const news = reveal<RegistryCredentialInputs>(newProps);
    const detailedDiff: Record<string, PropertyDiff> = {};
    for (const f of PATCH_FIELDS)
      if (olds[f] !== news[f]) detailedDiff[f] = { kind: "update", inputDiff: true };
    if (olds.ownerId !== news.ownerId) detailedDiff.ownerId = { kind: "updateReplace", inputDiff: true };
    if (normalizeBaseUrl(olds.baseUrl) !== normalizeBaseUrl(news.baseUrl))
      detailedDiff.baseUrl = { kind: "updateReplace", inputDiff: true };
    const replaces = Object.keys(detailedDiff).filter((k) => detailedDiff[k].kind === "updateReplace");
    return { changes: Object.keys(detailedDiff).length > 0, replaces, detailedDiff };
  },

  async create(props, ctx) {
    const i = reveal<RegistryCredentialInputs>(props);
    try {
      const c = await renderRequest<ApiCredential>(ctx.render(i), "POST", "/registrycredentials", {
        registry: i.registry,
        name: i.name,
        username: i.username,
        authToken: i.authToken,
        ownerId: i.ownerId,
      });
      if (!c?.id) throw new Error("Render API POST /registrycredentials answered without an id");
      return { id: c.id, outs: stored(i) };
    } catch (e) {
      throw new Error(`${who(i)}: ${(e as Error).message}`);
    }
  },

  async update(id, _olds, newProps, ctx) {
    const i = reveal<RegistryCredentialInputs>(newProps);
    try {
      await renderRequest(ctx.render(i), "PATCH", `/registrycredentials/${encodeURIComponent(id)}`, {
        registry: i.registry,
        name: i.name,
        username: i.username,
        authToken: i.authToken,
      });
      return { outs: stored(i) };
    } catch (e) {
      throw new Error(`${who(i)} (${id}): ${(e as Error).message}`);
    }
  },

  async read(id, oldProps, ctx) {
    if (!oldProps) {
      throw new Error(
        `${who({})} ${id}: import is not supported (Render never returns the token); declare it with its token instead`,
      );
    }
    const props = reveal<RegistryCredentialInputs>(oldProps);
    const s = ctx.render(props);
    let c: ApiCredential;
    try {
      c = await renderRequest<ApiCredential>(s, "GET", `/registrycredentials/${encodeURIComponent(id)}`);
    } catch (e) {
      if (await isGone(s, e, id)) return undefined;
      throw new Error(`${who(props)} (${id}): ${(e as Error).message}`);
    }
    const live: RegistryCredentialInputs = {
      ...props,
      name: c.name ?? props.name,
      registry: (c.registry as RegistryCredentialInputs["registry"]) ?? props.registry,
      username: c.username ?? props.username,
    };
    return { id, props: stored(live), inputs: stored(live) };
  },

  async delete(id, oldProps, ctx) {
    const props = reveal<RegistryCredentialInputs>(oldProps);
    const s = ctx.render(props);
    try {
      await renderRequest(s, "DELETE", `/registrycredentials/${encodeURIComponent(id)}`);
    } catch (e) {
      if (await isGone(s, e, id)) return;
      throw new Error(`${who(props)} (${id}): ${(e as Error).message}`);
    }
  },
};
