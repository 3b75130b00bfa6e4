/**
 * Render deploys over the API: find the live deploy, start one with a pinned image, roll back to
 * an earlier one, and wait (bounded) until a deploy is live or has failed.
 */
import { renderRequest, RenderClientSettings } from "./client";

export interface ApiDeploy {
  id: string;
  status: string;
  image?: { ref?: string; sha?: string };
  trigger?: string;
  createdAt?: string;
  finishedAt?: string | null;
}

/** Statuses after which a deploy no longer changes. */
export const FINAL_STATUSES = [
  "live",
  "deactivated",
  "build_failed",
  "update_failed",
  "canceled",
  "pre_deploy_failed",
];

export interface WaitOptions {
  /** Give up after this long. */
  timeoutMs: number;
  /** Longest time between two polls (polling starts at 250 ms and backs off to this). */
  intervalMs: number;
}

export const DEFAULT_WAIT: WaitOptions = { timeoutMs: 15 * 60_000, intervalMs: 2_000 };

function deploysPath(serviceId: string): string {
  return `/services/${encodeURIComponent(serviceId)}/deploys`;
}

/** The newest deploys of a service (one page, newest first). */
export async function recentDeploys(
  s: RenderClientSettings,
  serviceId: string,
  limit = 20,
): Promise<ApiDeploy[]> {
  const page = await renderRequest<{ deploy: ApiDeploy }[]>(
    s,
    "GET",
    `${deploysPath(serviceId)}?limit=${limit}`,
  );
  if (!Array.isArray(page))
    throw new Error(`Render API GET ${deploysPath(serviceId)} answered without a list`);
  return page.map((e) => e.deploy);
}

/** The deploy that is live now, if any (the one a rollback returns to). */
export async function liveDeployId(s: RenderClientSettings, serviceId: string): Promise<string | undefined> {
  return (await recentDeploys(s, serviceId)).find((d) => d.status === "live")?.id;
}

/**
 * Starts a deploy of `imageUrl`. Render answers an empty 202 when a deploy is already queued:
 * that queued deploy (it picks up the service's current image) is the one to wait for.
 */
export async function startDeploy(
  s: RenderClientSettings,
  serviceId: string,
  imageUrl: string,
): Promise<ApiDeploy> {
  const created = await renderRequest<ApiDeploy | undefined>(s, "POST", deploysPath(serviceId), { imageUrl });
  if (created?.id) return created;
  const pending = (await recentDeploys(s, serviceId, 10)).find((d) => !FINAL_STATUSES.includes(d.status));
  if (!pending)
    throw new Error(`Render API POST ${deploysPath(serviceId)} answered 202 but no deploy is queued`);
  return pending;
}

/** Starts a rollback to `deployId` (Render creates a new deploy of that one's image). */
export async function startRollback(
  s: RenderClientSettings,
  serviceId: string,
  deployId: string,
): Promise<ApiDeploy> {
  const d = await renderRequest<ApiDeploy>(s, "POST", `/services/${encodeURIComponent(serviceId)}/rollback`, {
    deployId,
  });
  if (!d?.id) throw new Error(`Render API POST /services/${serviceId}/rollback answered without a deploy`);
  return d;
}

/** Polls a deploy until it reaches a final status; returns that status. Throws on timeout. */
export async function waitForDeploy(
  s: RenderClientSettings,
  serviceId: string,
  deployId: string,
  opts: WaitOptions = DEFAULT_WAIT,
): Promise<string> {
  const deadline = Date.now() + opts.timeoutMs;
  let status = "unknown";
  // Start polling quickly (short deploys), then back off to the configured interval.
  let interval = Math.min(250, opts.intervalMs);
  for (;;) {
    const d = await renderRequest<ApiDeploy>(
      s,
      "GET",
      `${deploysPath(serviceId)}/${encodeURIComponent(deployId)}`,
    );
    status = d?.status ?? "unknown";
    if (FINAL_STATUSES.includes(status)) return status;
    if (Date.now() + interval > deadline) {
      throw new Error(
        `deploy ${deployId} of ${serviceId} is still "${status}" after ${Math.round(opts.timeoutMs / 1000)} s; ` +
          `check it in the Render dashboard, then run \`pulumi up\` again`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, interval));
    interval = Math.min(opts.intervalMs, Math.round(interval * 1.5));
  }
}
