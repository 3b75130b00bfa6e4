/**
 * Rolls a Render service back to the deploy that was live before the last fleetgate deploy
 * (the `rollback` target each DeployedService exposes). Used by the smoke gate and by hand.
 *
 * Render records the rollback as a new deploy (trigger `rollback`), so the service's Deploy step
 * sees on the next `pulumi up` that the deploy it recorded is no longer live and redeploys the
 * declared image (then the gates run again): a rollback is never forgotten.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { RollbackTarget } from "../../components/platform";
import { DEFAULT_API_KEY_CONFIG, renderApiKey } from "../../provider/render/credentials";
import { renderRequest } from "../../provider/render/client";
import {
  ApiDeploy,
  DEFAULT_WAIT,
  startRollback,
  waitForDeploy,
  WaitOptions,
} from "../../provider/render/deploys";

/** What a Render rollback did: a one-line summary, and the deploy and image live afterwards. */
export interface RenderRollbackResult {
  summary: string;
  /** The image reference of the deploy live after the rollback, as Render reports it. */
  liveImage?: string;
  /** The rollback's deploy (live now). */
  liveDeploy: string;
}

/**
 * Rolls back and reports what is live afterwards; throws when there is nothing to roll back to
 * or the rollback deploy does not go live. The API key comes from `config`
 * (`fleetgate:<target.apiKeyConfig>`, default `fleetgate:renderApiKey`) or RENDER_API_KEY.
 */
export async function rollbackDetailed(
  target: RollbackTarget,
  config?: pulumi.dynamic.Config,
  wait: WaitOptions = DEFAULT_WAIT,
): Promise<RenderRollbackResult> {
  if (target.platform !== "render") throw new Error(`render rollback got a ${target.platform} target`);
  if (!target.previousDeployId) {
    throw new Error(
      `service ${target.serviceId} has no previous deploy to roll back to (it was deployed once)`,
    );
  }
  const s = {
    baseUrl: target.baseUrl,
    apiKey: renderApiKey(target.apiKeyConfig ?? DEFAULT_API_KEY_CONFIG, config),
  };
  const d = await startRollback(s, target.serviceId, target.previousDeployId);
  const status = await waitForDeploy(s, target.serviceId, d.id, wait);
  if (status !== "live") {
    throw new Error(
      `rollback of ${target.serviceId} to ${target.previousDeployId} ended with status "${status}" (deploy ${d.id})`,
    );
  }
  // Name the image that is live now: the ledger records what actually runs.
  const live = await renderRequest<ApiDeploy>(
    s,
    "GET",
    `/services/${encodeURIComponent(target.serviceId)}/deploys/${encodeURIComponent(d.id)}`,
  ).catch(() => undefined);
  const liveImage = live?.image?.ref ?? d.image?.ref;
  const summary =
    `rolled back ${target.serviceId} to ${target.previousDeployId} ` +
    `(deploy ${d.id}${liveImage ? `, image ${liveImage} is live` : " is live"})`;
  return { summary, liveDeploy: d.id, ...(liveImage ? { liveImage } : {}) };
}

/**
 * The smoke gate's rollback (`RollbackFn` of providers/checks/rollback.ts): the summary, the
 * deploy and the image live afterwards, so the ledger records what actually runs.
 */
export async function rollback(
  target: RollbackTarget,
  config?: pulumi.dynamic.Config,
  wait: WaitOptions = DEFAULT_WAIT,
): Promise<RenderRollbackResult> {
  return rollbackDetailed(target, config, wait);
}
