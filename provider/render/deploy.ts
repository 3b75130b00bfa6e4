/**
 * `fleetgate:render:Deploy`: the deploy step of one Render service (HELPERS items 1–2). Render
 * deploys neither on a PATCH nor on an env-var change, so this step sends the declared image and
 * waits (bounded) for `live` or a failure status. It re-runs when anything that shapes the
 * running process changes — the normalized image, the service's env `version`, a run setting —
 * and when Render's live deploy is not the one recorded here (a gate rollback, a deploy or
 * rollback made outside Pulumi, a deactivated or failed deploy): its `diff` asks Render, so `up`
 * converges with or without `--refresh`. `deployId` is the gates' trigger (`deployment`).
 */
import { normalizeImageRef } from "../../config/image";
import {
  ApiDeploy,
  DEFAULT_WAIT,
  FINAL_STATUSES,
  recentDeploys,
  startDeploy,
  waitForDeploy,
} from "./deploys";
import type { Props, ResourceHandler } from "../handler";
import { isGone, renderRequest, RenderClientSettings } from "./client";
import { RenderContext } from "./envVars";
import { canonical, isUnknown, normalizeBaseUrl, PropertyDiff, ResourceDiff, reveal } from "./wire";

export const DEPLOY_TYPE = "fleetgate:render:Deploy";

export interface DeployInputs {
  serviceId: string;
  serviceName: string;
  /** The pinned image to deploy. */
  image: string;
  /** The service's env `version` (EnvVars), or `none`; a change redeploys. */
  envVersion: string;
  /** Settings that shape the running process (dockerCommand, preDeployCommand, plan, …); a change redeploys. */
  runSettings?: Record<string, string>;
  baseUrl: string;
  apiKeyConfig?: string;
  requestsPerSecond?: number;
  /** Bound on the wait for a final status (default 900 s). */
  timeoutSeconds?: number;
  /** Longest time between two status polls (default 2000 ms). */
  pollIntervalMs?: number;
}

export interface DeployOutputs extends DeployInputs {
  /** The deploy this step made live (the gates key on it). */
  deployId: string;
  /** The deploy that was live before (the rollback target). */
  previousDeployId?: string;
  /** Status of `deployId` (refresh shows `deactivated` when something else went live). */
  status: string;
  /** The deploy Render reports live (at the last create/update/refresh). */
  liveDeployId?: string;
  /** The image of the live deploy, as Render reports it. */
  liveImage?: string;
}

/** How many deploys to look through for the live one (newest first). */
const LIVE_LOOKUP_LIMIT = 20;

function who(i: DeployInputs): string {
  return `service "${i.serviceName}" (${i.serviceId})`;
}

function sameImage(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b) return a === b;
  return normalizeImageRef(a) === normalizeImageRef(b);
}

/** The live deploy of a service (newest first), if any. */
async function liveDeploy(s: RenderClientSettings, serviceId: string): Promise<ApiDeploy | undefined> {
  return (await recentDeploys(s, serviceId, LIVE_LOOKUP_LIMIT)).find((d) => d.status === "live");
}

/** Which triggers changed between the recorded and the declared inputs. */
function changedTriggers(olds: DeployOutputs, news: DeployInputs): Record<string, PropertyDiff> {
  const d: Record<string, PropertyDiff> = {};
  if (isUnknown(news.image) || !sameImage(olds.image, news.image))
    d.image = { kind: "update", inputDiff: true };
  if (isUnknown(news.envVersion) || olds.envVersion !== news.envVersion)
    d.envVersion = { kind: "update", inputDiff: true };
  const o = olds.runSettings ?? {};
  const n = news.runSettings ?? {};
  if (isUnknown(n)) d.runSettings = { kind: "update", inputDiff: true };
  else {
    for (const k of new Set([...Object.keys(o), ...Object.keys(n)])) {
      if (canonical(o[k]) !== canonical(n[k])) {
        d[`runSettings.${k}`] = {
          kind: !(k in o) ? "add" : !(k in n) ? "delete" : "update",
          inputDiff: true,
        };
      }
    }
  }
  return d;
}

/**
 * Deploys the declared image and waits for a final status. An empty 202 (a deploy already
 * queued) is followed to that deploy; if it went live with another image, the declared one is
 * deployed again (at most twice).
 */
async function deploy(s: RenderClientSettings, inputs: DeployInputs): Promise<DeployOutputs> {
  const wait = {
    timeoutMs: (inputs.timeoutSeconds ?? DEFAULT_WAIT.timeoutMs / 1000) * 1000,
    intervalMs: inputs.pollIntervalMs ?? DEFAULT_WAIT.intervalMs,
  };
  let previousDeployId: string | undefined;
  try {
    previousDeployId = (await liveDeploy(s, inputs.serviceId))?.id;
  } catch (e) {
    throw new Error(`${who(inputs)}: could not read its deploys: ${(e as Error).message}`);
  }
  for (let attempt = 1; ; attempt++) {
    let started: ApiDeploy;
    let status: string;
    try {
      started = await startDeploy(s, inputs.serviceId, inputs.image);
      status = await waitForDeploy(s, inputs.serviceId, started.id, wait);
    } catch (e) {
      throw new Error(`${who(inputs)}: deploy of ${inputs.image} failed: ${(e as Error).message}`);
    }
    if (status !== "live") {
      throw new Error(
        `${who(inputs)}: deploy ${started.id} of ${inputs.image} ended with status "${status}"` +
          (previousDeployId ? `; the previous live deploy was ${previousDeployId}` : "") +
          `; see the deploy's logs in the Render dashboard, fix it and run \`pulumi up\` again`,
      );
    }
    const done = await renderRequest<ApiDeploy>(
      s,
      "GET",
      `/services/${encodeURIComponent(inputs.serviceId)}/deploys/${encodeURIComponent(started.id)}`,
    );
    const liveImage = done?.image?.ref;
    if (!liveImage || sameImage(liveImage, inputs.image) || attempt >= 2) {
      if (liveImage && !sameImage(liveImage, inputs.image)) {
        throw new Error(
          `${who(inputs)}: deploy ${started.id} went live with ${liveImage}, not the declared ${inputs.image}; run \`pulumi up\` again`,
        );
      }
      const outs: DeployOutputs = {
        ...inputs,
        deployId: started.id,
        previousDeployId: previousDeployId !== started.id ? previousDeployId : undefined,
        status,
        liveDeployId: started.id,
        liveImage: liveImage ?? normalizeImageRef(inputs.image),
      };
      return withoutUndefined(outs);
    }
    // The queued deploy we joined ran another image: deploy ours now.
  }
}

function withoutUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

export async function checkDeploy(
  _olds: unknown,
  raw: unknown,
): Promise<{ inputs: Props; failures: { property: string; reason: string }[] }> {
  const i = (raw ?? {}) as Record<string, unknown>;
  const failures: { property: string; reason: string }[] = [];
  for (const k of ["serviceName", "image", "baseUrl"]) {
    if (typeof i[k] !== "string" || i[k] === "")
      failures.push({ property: k, reason: `${k} must be a non-empty string` });
  }
  for (const k of ["timeoutSeconds", "pollIntervalMs"]) {
    if (i[k] !== undefined && !(typeof i[k] === "number" && (i[k] as number) > 0))
      failures.push({ property: k, reason: `${k} must be a positive number` });
  }
  const rs = i.runSettings;
  if (rs !== undefined && !isUnknown(rs) && (typeof rs !== "object" || rs === null || Array.isArray(rs))) {
    failures.push({
      property: "runSettings",
      reason: "runSettings must be a map of setting names to values",
    });
  }
  return { inputs: raw as Props, failures };
}

/**
 * Changed triggers, else a live check: Render's live deploy must be the recorded one. Settings
 * that do not shape the process (wait bounds, rate, a cosmetic baseUrl) update the state only.
 */
export async function diffDeploy(
  _id: string,
  rawOlds: unknown,
  rawNews: unknown,
  ctx: RenderContext,
): Promise<ResourceDiff> {
  const olds = reveal<DeployOutputs>(rawOlds);
  const news = reveal<DeployInputs>(rawNews);
  if (isUnknown(news.serviceId) || olds.serviceId !== news.serviceId) {
    return {
      changes: true,
      replaces: ["serviceId"],
      detailedDiff: { serviceId: { kind: "updateReplace", inputDiff: true } },
    };
  }
  const detailed = changedTriggers(olds, news);
  if (Object.keys(detailed).length === 0) {
    let live: ApiDeploy | undefined;
    try {
      live = await liveDeploy(ctx.render(news), news.serviceId);
    } catch (e) {
      if (await isGone(ctx.render(news), e, news.serviceId)) {
        throw new Error(
          `${who(news)} no longer exists on Render (deleted outside Pulumi); run \`pulumi refresh\`, then \`pulumi up\` creates it again`,
        );
      }
      throw new Error(`${who(news)}: could not check which deploy is live: ${(e as Error).message}`);
    }
    // Not ours live (rolled back, deployed or rolled back by hand, deactivated, failed): redeploy.
    if (!live || live.id !== olds.deployId) detailed.deployId = { kind: "update", inputDiff: false };
  }
  const same: Record<string, boolean> = {
    baseUrl: normalizeBaseUrl(olds.baseUrl ?? "") === normalizeBaseUrl(news.baseUrl ?? ""),
    apiKeyConfig: olds.apiKeyConfig === news.apiKeyConfig,
    requestsPerSecond: olds.requestsPerSecond === news.requestsPerSecond,
    timeoutSeconds: olds.timeoutSeconds === news.timeoutSeconds,
    pollIntervalMs: olds.pollIntervalMs === news.pollIntervalMs,
    serviceName: olds.serviceName === news.serviceName,
  };
  for (const [f, unchanged] of Object.entries(same))
    if (!unchanged) detailed[f] = { kind: "update", inputDiff: true };
  return { changes: Object.keys(detailed).length > 0, detailedDiff: detailed };
}

export async function createDeploy(
  raw: unknown,
  ctx: RenderContext,
): Promise<{ id: string; outs: Record<string, unknown> }> {
  const inputs = reveal<DeployInputs>(raw);
  const outs = await deploy(ctx.render(inputs), inputs);
  return { id: `${inputs.serviceId}/deploy`, outs: { ...outs } };
}

/** Deploys again only when a trigger changed or ours is not live; otherwise records the new settings. */
export async function updateDeploy(
  _id: string,
  rawOlds: unknown,
  rawNews: unknown,
  ctx: RenderContext,
): Promise<{ outs: Record<string, unknown> }> {
  const olds = reveal<DeployOutputs>(rawOlds);
  const news = reveal<DeployInputs>(rawNews);
  const s = ctx.render(news);
  let redeploy = Object.keys(changedTriggers(olds, news)).length > 0;
  if (!redeploy) {
    const live = await liveDeploy(s, news.serviceId).catch((e: Error) => {
      throw new Error(`${who(news)}: could not check which deploy is live: ${e.message}`);
    });
    redeploy = !live || live.id !== olds.deployId;
  }
  if (redeploy) return { outs: { ...(await deploy(s, news)) } };
  const { deployId, previousDeployId, status, liveDeployId, liveImage } = olds;
  return { outs: withoutUndefined({ ...news, deployId, previousDeployId, status, liveDeployId, liveImage }) };
}

/**
 * Refresh: the recorded deploy's status (`deactivated` when something else went live) and what
 * is live now. `deployId` stays the recorded one, so the next `up` sees declared ≠ live.
 */
export async function readDeploy(
  id: string,
  rawProps: unknown,
  ctx: RenderContext,
): Promise<{ id: string; props: Record<string, unknown>; inputs?: Record<string, unknown> } | undefined> {
  const props = reveal<DeployOutputs>(rawProps ?? {});
  if (!props.serviceId || !props.deployId) {
    throw new Error(
      `${DEPLOY_TYPE} "${id}": import is not supported; the first \`pulumi up\` deploys the declared image`,
    );
  }
  const s = ctx.render(props);
  try {
    const recorded = await renderRequest<ApiDeploy>(
      s,
      "GET",
      `/services/${encodeURIComponent(props.serviceId)}/deploys/${encodeURIComponent(props.deployId)}`,
    );
    const live = await liveDeploy(s, props.serviceId);
    const refreshed = withoutUndefined({
      ...props,
      status: recorded?.status ?? props.status,
      liveDeployId: live?.id,
      liveImage: live?.image?.ref,
    });
    if (!live) delete refreshed.liveDeployId;
    if (!live) delete refreshed.liveImage;
    return { id, props: { ...refreshed } };
  } catch (e) {
    if (await isGone(s, e, props.serviceId)) return undefined;
    throw new Error(`${who(props)}: ${(e as Error).message}`);
  }
}

/** A deploy cannot be undone by deleting it; removing the step only forgets it. */
export async function deleteDeploy(): Promise<void> {}

/** Statuses after which a deploy no longer changes (re-exported for tests). */
export { FINAL_STATUSES };

/** The resource as the plugin host dispatches it. */
export const deployResource: ResourceHandler = {
  type: DEPLOY_TYPE,
  schema: {
    description:
      "The deploy step of one Render service: deploys the declared image when the image, the env version or a run setting changes, or when the live deploy is not the recorded one.",
    inputProperties: {
      serviceId: { type: "string", description: "Render id of the service." },
      serviceName: { type: "string", description: "Service name, for messages." },
      image: { type: "string", description: "The pinned image to deploy." },
      envVersion: { type: "string", description: "The service's EnvVars version (`none` without env vars)." },
      runSettings: {
        type: "object",
        additionalProperties: { type: "string" },
        description: "Settings that shape the running process; a change redeploys.",
      },
      baseUrl: { type: "string", description: "Render API base URL." },
      apiKeyConfig: { type: "string", description: "Config key (in `fleetgate:`) holding the API key." },
      requestsPerSecond: { type: "number", description: "Client-side rate limit." },
      timeoutSeconds: { type: "number", description: "Bound on the wait for live/failed (default 900)." },
      pollIntervalMs: { type: "number", description: "Longest time between status polls (default 2000)." },
    },
    requiredInputs: ["serviceId", "serviceName", "image", "envVersion", "baseUrl"],
    properties: {
      deployId: { type: "string", description: "The deploy this step made live." },
      previousDeployId: { type: "string", description: "The deploy live before (rollback target)." },
      status: { type: "string", description: "Status of deployId." },
      liveDeployId: { type: "string", description: "The deploy Render reports live." },
      liveImage: { type: "string", description: "The image of the live deploy." },
    },
    required: ["deployId", "status"],
  },
  check: checkDeploy,
  diff: diffDeploy,
  create: createDeploy,
  read: readDeploy,
  update: updateDeploy,
  delete: deleteDeploy,
};
