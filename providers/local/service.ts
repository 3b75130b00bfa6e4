/**
 * `pulumi-nodejs:dynamic/local:Service`: a fleet service as a local process.
 *
 * A deploy (create, or an update) stops the old process, starts the command detached (it
 * outlives `pulumi up`), and waits for its health endpoint. An unhealthy deploy is recorded as
 * `status: failed` so the smoke gate can judge it (and roll it back); a service no smoke check
 * covers fails its own deploy instead (`failOnUnhealthy`).
 *
 * Triggers (docs/local.md): an update redeploys when anything that shapes the process changes
 * (`RESTART_ON`: command, port, env generation, image, working directory, health path), and
 * when the live check finds that our deploy is not what runs: the process died, another deploy
 * is live (a gate rollback, a restart by hand), or it does not answer its health path. `diff`
 * runs that check itself, so `up` converges without `--refresh`; `read` (refresh) records what
 * it found in `status`/`live` while keeping `deployId` (the deploy we made), so a refreshed
 * drift is still redeployed by the next `up`.
 */
import * as pulumi from "@pulumi/pulumi";
import { deployService, stopService } from "./deploy";
import { envFilePath, logFilePath, readProcessRecord, removeServiceRecords } from "./files";
import { isOurProcess, probe } from "./process";

export interface LocalServiceInputs {
  /** Service name; also the id and the name of its files in the state dir. */
  name: string;
  serviceType: "web" | "private" | "worker" | "cron";
  /** The pinned image reference from the config (recorded; the local platform runs `command`). */
  image: string;
  /** True for web services. */
  public: boolean;
  healthCheckPath?: string;
  /** argv, no shell; relative paths resolve against `projectDir`. */
  command: string[];
  port: number;
  /** Absolute project directory: the process's working directory. */
  projectDir: string;
  /** Absolute state dir of the local stack (env files, logs, pid records). */
  stateDir: string;
  startTimeoutSeconds: number;
  /** Generation of the service's env file (0: none); a new generation restarts the service. */
  envGeneration: number;
  /** Throw when the deploy is unhealthy (services no smoke check covers). */
  failOnUnhealthy: boolean;
}

/** What runs for the service right now, as the live check found it. */
export interface LiveProcess {
  /** The deploy whose process runs (0: none of ours runs). */
  deployId: number;
  pid: number;
}

export interface LocalServiceOutputs extends LocalServiceInputs {
  url: string;
  /** The process of the deploy this resource made. */
  pid: number;
  startTime: string;
  /** The deploy this resource made (a refresh never changes it). */
  deployId: number;
  /**
   * `live` when our deploy runs and is healthy; `failed` when it never became healthy;
   * `stopped` (no process of ours runs), `drifted` (another deploy runs: a rollback or a restart
   * outside Pulumi) or `unhealthy` (runs but fails its health path) as a refresh found it.
   * Anything but `live` is redeployed by the next `up`.
   */
  status: "live" | "failed" | "stopped" | "drifted" | "unhealthy";
  reason: string;
  /** What the last deploy or refresh found running. */
  live: LiveProcess;
  logFile: string;
}

/** Inputs whose change means a new deploy (a restart); other inputs only update the record. */
export const RESTART_ON = [
  "command",
  "port",
  "envGeneration",
  "image",
  "projectDir",
  "healthCheckPath",
] as const;
/** Inputs that name another process record: a change replaces the service (old one stopped first). */
const REPLACE_ON = ["name", "stateDir"] as const;
const OUTPUT_ONLY = ["url", "pid", "startTime", "deployId", "status", "reason", "live", "logFile"];

function differs(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) !== JSON.stringify(b);
}

async function deploy(inputs: LocalServiceInputs): Promise<LocalServiceOutputs> {
  const fs = require("fs") as typeof import("fs");
  const envFile = envFilePath(inputs.stateDir, inputs.name);
  const envText = inputs.envGeneration > 0 && fs.existsSync(envFile) ? fs.readFileSync(envFile, "utf8") : "";
  const outcome = await deployService(
    inputs.stateDir,
    inputs.name,
    {
      command: inputs.command,
      cwd: inputs.projectDir,
      port: inputs.port,
      healthCheckPath: inputs.healthCheckPath,
      startTimeoutSeconds: inputs.startTimeoutSeconds,
      image: inputs.image,
    },
    envText,
  );
  if (outcome.status === "failed" && inputs.failOnUnhealthy) {
    await stopService(inputs.stateDir, inputs.name, inputs.port);
    throw new Error(`service ${inputs.name}: deploy ${outcome.deployId} failed: ${outcome.reason}`);
  }
  return {
    ...inputs,
    // Every local service listens on its loopback port (workers serve /health there too).
    url: `http://127.0.0.1:${inputs.port}`,
    pid: outcome.pid,
    startTime: outcome.startTime,
    deployId: outcome.deployId,
    status: outcome.status,
    reason: outcome.reason,
    live: { deployId: outcome.pid ? outcome.deployId : 0, pid: outcome.pid },
    logFile: logFilePath(inputs.stateDir, inputs.name),
  };
}

/**
 * The live check: is the deploy recorded in `o` the one running, ours, and healthy? Returns
 * what runs and, when it is not our healthy deploy, the status and reason to report.
 */
export async function checkLive(
  o: LocalServiceOutputs,
): Promise<{ live: LiveProcess; status: LocalServiceOutputs["status"]; reason: string }> {
  const rec = readProcessRecord(o.stateDir, o.name);
  const ours = isOurProcess(rec);
  const live: LiveProcess = ours ? { deployId: rec!.deployId, pid: rec!.pid } : { deployId: 0, pid: 0 };
  if (!ours) {
    return { live, status: "stopped", reason: `no process of deploy ${o.deployId} runs` };
  }
  if (rec!.deployId !== o.deployId || rec!.pid !== o.pid || rec!.startTime !== o.startTime) {
    return {
      live,
      status: "drifted",
      reason: `deploy ${rec!.deployId} (pid ${rec!.pid}) runs, not deploy ${o.deployId} that pulumi made (rolled back or restarted outside Pulumi)`,
    };
  }
  if (o.status === "failed") return { live, status: "failed", reason: o.reason };
  if (o.healthCheckPath) {
    const got = await probe(`http://127.0.0.1:${o.port}${o.healthCheckPath}`, 2000);
    if (typeof got !== "number" || got < 200 || got >= 300) {
      const what = typeof got === "number" ? `answered ${got}` : got;
      return { live, status: "unhealthy", reason: `${o.healthCheckPath} ${what}` };
    }
  }
  return { live, status: "live", reason: "" };
}

/** Why an update must redeploy (declared change or live check), or undefined. */
async function redeployReason(
  olds: LocalServiceOutputs,
  news: LocalServiceInputs,
): Promise<string | undefined> {
  const changed = RESTART_ON.filter((k) => differs(olds[k], news[k]));
  if (changed.length) return `changed: ${changed.join(", ")}`;
  const found = await checkLive(olds);
  return found.status === "live" ? undefined : `${found.status}: ${found.reason}`;
}

export const localServiceProvider: pulumi.dynamic.ResourceProvider = {
  async check(_olds: LocalServiceInputs, news: LocalServiceInputs) {
    const failures: pulumi.dynamic.CheckFailure[] = [];
    if (!Array.isArray(news.command) || news.command.length === 0) {
      failures.push({ property: "command", reason: "must list at least the program to run" });
    }
    if (!require("path").isAbsolute(news.projectDir ?? "")) {
      failures.push({ property: "projectDir", reason: "must be an absolute path" });
    }
    if (!require("path").isAbsolute(news.stateDir ?? "")) {
      failures.push({ property: "stateDir", reason: "must be an absolute path" });
    }
    return { inputs: news, failures };
  },

  async diff(_id: string, olds: LocalServiceOutputs, news: LocalServiceInputs) {
    const keys = new Set([...Object.keys(news), ...Object.keys(olds)]);
    const changed = [...keys].filter(
      (k) => !OUTPUT_ONLY.includes(k) && differs((olds as never)[k], (news as never)[k]),
    );
    const replaces = REPLACE_ON.filter((k) => differs(olds[k], news[k]));
    // The live check: a dead, replaced or unhealthy process is redeployed by this `up`.
    const drift = replaces.length ? undefined : await redeployReason(olds, news);
    return {
      changes: changed.length > 0 || drift !== undefined,
      replaces,
      deleteBeforeReplace: true,
      stables: replaces.length ? [] : ["url", "logFile"],
    };
  },

  async create(inputs: LocalServiceInputs) {
    const outs = await deploy(inputs);
    return { id: inputs.name, outs };
  },

  async update(_id: string, olds: LocalServiceOutputs, news: LocalServiceInputs) {
    if (await redeployReason(olds, news)) return { outs: await deploy(news) };
    return { outs: { ...olds, ...news } };
  },

  async read(id: string, props: LocalServiceOutputs) {
    // Older states have no `live`: the check fills it in.
    const found = await checkLive(props);
    return { id, props: { ...props, status: found.status, reason: found.reason, live: found.live } };
  },

  /** Stops the process and removes its deploy records (they hold copies of the env). */
  async delete(_id: string, props: LocalServiceOutputs) {
    await stopService(props.stateDir, props.name, props.port);
    removeServiceRecords(props.stateDir, props.name);
  },
};

export type LocalServiceArgs = { [K in keyof LocalServiceInputs]: pulumi.Input<LocalServiceInputs[K]> };

export class LocalService extends pulumi.dynamic.Resource {
  /** Base URL on loopback: every local service has a port. */
  declare readonly url: pulumi.Output<string>;
  declare readonly pid: pulumi.Output<number>;
  declare readonly deployId: pulumi.Output<number>;
  declare readonly status: pulumi.Output<LocalServiceOutputs["status"]>;
  declare readonly live: pulumi.Output<LiveProcess>;
  declare readonly reason: pulumi.Output<string>;
  declare readonly logFile: pulumi.Output<string>;

  constructor(name: string, args: LocalServiceArgs, opts?: pulumi.CustomResourceOptions) {
    const outputs = {
      url: undefined,
      pid: undefined,
      startTime: undefined,
      deployId: undefined,
      status: undefined,
      reason: undefined,
      live: undefined,
      logFile: undefined,
    };
    super(localServiceProvider, name, { ...args, ...outputs }, opts, "local", "Service");
  }
}
