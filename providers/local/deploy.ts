/**
 * One local deploy: stop the service's current process, start the new one with its complete
 * env-var set, wait for health, and record both the process and the deploy (for rollback).
 * Used by the Service provider and by rollback.ts.
 */
import {
  DeployRecord,
  deployIds,
  logFilePath,
  parseEnvText,
  readProcessRecord,
  writeDeployRecord,
  writeProcessRecord,
} from "./files";
import { launch, logTail, stop, waitHealthy, waitPortFree } from "./process";

/** How long a stopped service gets between SIGTERM and SIGKILL. */
export const STOP_GRACE_MS = 5000;
/** How long a port may stay taken after its process ended before it counts as someone else's. */
const PORT_RELEASE_MS = 3000;

export interface DeployOutcome {
  deployId: number;
  pid: number;
  startTime: string;
  status: "live" | "failed";
  /** Why the deploy failed (with the last log lines); empty when live. */
  reason: string;
}

/** Stops whatever process of ours runs the service now and forgets it. */
export async function stopService(stateDir: string, service: string, port?: number): Promise<void> {
  const stopped = await stop(readProcessRecord(stateDir, service), STOP_GRACE_MS);
  writeProcessRecord(stateDir, service, undefined);
  // A stopped server may hold its port for a moment; wait so the next start can bind it.
  if (stopped && port) await waitPortFree(port, 3000);
}

/**
 * (Re)starts the service from `spec` with the env in `envText` (the env file's content).
 * Never leaves two processes of one service: the old one is stopped first.
 */
export async function deployService(
  stateDir: string,
  service: string,
  spec: Omit<DeployRecord, "deployId" | "startedAt">,
  envText: string,
): Promise<DeployOutcome> {
  await stopService(stateDir, service, spec.port);
  // A process that just died (a crash the live check found) may hold its port for a moment
  // while the kernel closes it; only a port still taken after a short wait is someone else's.
  if (!(await waitPortFree(spec.port, PORT_RELEASE_MS))) {
    throw new Error(
      `service ${service}: port ${spec.port} is in use by another process; stop it or set local.port to a free port`,
    );
  }
  const deployId = (deployIds(stateDir, service).pop() ?? 0) + 1;
  const rec: DeployRecord = { ...spec, deployId, startedAt: new Date().toISOString() };
  writeDeployRecord(stateDir, service, rec, envText);
  const logFile = logFilePath(stateDir, service);
  const env = {
    ...parseEnvText(envText, `env of deploy ${deployId}`),
    PORT: String(spec.port),
    PATH: process.env.PATH ?? "/usr/bin:/bin",
  };
  let started;
  try {
    started = await launch({ command: spec.command, cwd: spec.cwd, env, logFile });
  } catch (e) {
    return { deployId, pid: 0, startTime: "", status: "failed", reason: (e as Error).message };
  }
  writeProcessRecord(stateDir, service, { pid: started.pid, startTime: started.startTime, deployId });
  const problem = await waitHealthy(
    started,
    spec.port,
    spec.healthCheckPath,
    spec.startTimeoutSeconds * 1000,
  );
  if (!problem) {
    return { deployId, pid: started.pid, startTime: started.startTime, status: "live", reason: "" };
  }
  const tail = logTail(logFile, 5);
  return {
    deployId,
    pid: started.pid,
    startTime: started.startTime,
    status: "failed",
    reason: `${problem}${tail ? `; last log lines (${logFile}):\n${tail}` : ""}`,
  };
}
