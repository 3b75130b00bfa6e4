/**
 * `pulumi-nodejs:dynamic/local:Service`: a fleet service as a local process.
 *
 * A deploy (create, or an update that changes what runs or its env) stops the old process,
 * starts the command detached (it outlives `pulumi up`), and waits for its health endpoint.
 * An unhealthy deploy is recorded as `status: failed` so the smoke gate can judge it (and roll
 * it back); a service no smoke check covers fails its own deploy instead (`failOnUnhealthy`).
 * `read` (refresh) reports whether the recorded process is alive and really ours; a dead
 * process shows as a diff, so the next `up` restarts it.
 */
import * as pulumi from "@pulumi/pulumi";
import { deployService, stopService } from "./deploy";
import { envFilePath, logFilePath, readProcessRecord } from "./files";
import { isOurProcess } from "./process";

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

export interface LocalServiceOutputs extends LocalServiceInputs {
  url: string;
  pid: number;
  startTime: string;
  deployId: number;
  status: "live" | "failed" | "stopped";
  reason: string;
  logFile: string;
}

/** Inputs whose change means a new deploy (a restart); other inputs only update the record. */
const RESTART_ON = ["command", "port", "envGeneration", "image", "projectDir", "healthCheckPath"] as const;
/** Inputs that name another process record: a change replaces the service (old one stopped first). */
const REPLACE_ON = ["name", "stateDir"] as const;

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
    logFile: logFilePath(inputs.stateDir, inputs.name),
  };
}

function running(o: LocalServiceOutputs): boolean {
  return o.status === "live" && isOurProcess({ pid: o.pid, startTime: o.startTime });
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
    const outputOnly = ["url", "pid", "startTime", "deployId", "status", "reason", "logFile"];
    const changed = [...keys].filter(
      (k) => !outputOnly.includes(k) && differs((olds as never)[k], (news as never)[k]),
    );
    const replaces = REPLACE_ON.filter((k) => differs(olds[k], news[k]));
    // A process that died (or was never healthy) is redeployed by the next `up`.
    const down = !running(olds);
    return {
      changes: changed.length > 0 || down,
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
    const restart = !running(olds) || RESTART_ON.some((k) => differs(olds[k], news[k]));
    if (restart) return { outs: await deploy(news) };
    return { outs: { ...olds, ...news } };
  },

  async read(id: string, props: LocalServiceOutputs) {
    const rec = readProcessRecord(props.stateDir, props.name);
    const alive = isOurProcess(rec);
    return {
      id,
      props: {
        ...props,
        pid: alive ? rec!.pid : 0,
        startTime: alive ? rec!.startTime : "",
        deployId: rec?.deployId ?? props.deployId,
        status: alive ? props.status : "stopped",
      },
    };
  },

  async delete(_id: string, props: LocalServiceOutputs) {
    await stopService(props.stateDir, props.name, props.port);
  },
};

export type LocalServiceArgs = { [K in keyof LocalServiceInputs]: pulumi.Input<LocalServiceInputs[K]> };

export class LocalService extends pulumi.dynamic.Resource {
  /** Base URL on loopback: every local service has a port. */
  declare readonly url: pulumi.Output<string>;
  declare readonly pid: pulumi.Output<number>;
  declare readonly deployId: pulumi.Output<number>;
  declare readonly status: pulumi.Output<"live" | "failed" | "stopped">;
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
      logFile: undefined,
    };
    super(localServiceProvider, name, { ...args, ...outputs }, opts, "local", "Service");
  }
}
