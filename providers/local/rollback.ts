/**
 * Rollback on the local platform: restart a service with the command and env of its previous
 * deploy (recorded in the state dir at each deploy). The restart is itself a new deploy, so a
 * second rollback goes back to the broken one: roll forward by fixing the config and `up`.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { RollbackTarget } from "../../components/platform";
import type { RollbackResult } from "../checks/rollback";
import { deployService } from "./deploy";
import { deployIds, readDeployRecord, readProcessRecord } from "./files";

export async function rollback(
  target: RollbackTarget,
  _config?: pulumi.dynamic.Config,
): Promise<RollbackResult> {
  if (target.platform !== "local") {
    throw new Error(
      `local rollback got a ${target.platform} target; use providers/${target.platform}/rollback.ts`,
    );
  }
  const { stateDir, service } = target;
  const ids = deployIds(stateDir, service);
  const current = readProcessRecord(stateDir, service)?.deployId ?? ids[ids.length - 1];
  const previous = target.previousRevision
    ? Number(target.previousRevision)
    : ids.filter((id) => current === undefined || id < current).pop();
  if (previous === undefined || Number.isNaN(previous)) {
    throw new Error(
      `service ${service}: no previous deploy recorded in ${stateDir}; nothing to roll back to`,
    );
  }
  const recorded = readDeployRecord(stateDir, service, previous);
  if (!recorded) {
    throw new Error(
      `service ${service}: deploy ${previous} is no longer recorded in ${stateDir} (only the last 5 are kept)`,
    );
  }
  const { deployId: _id, startedAt: _at, ...spec } = recorded.rec;
  const outcome = await deployService(stateDir, service, spec, recorded.env);
  if (outcome.status !== "live") {
    throw new Error(`service ${service}: rollback to deploy ${previous} failed: ${outcome.reason}`);
  }
  return {
    summary: `rolled back ${service} from deploy ${current ?? "none"} to deploy ${previous} (now live as deploy ${outcome.deployId}, pid ${outcome.pid})`,
    liveImage: recorded.rec.image,
    liveDeploy: String(outcome.deployId),
  };
}
