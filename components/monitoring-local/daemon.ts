/**
 * `pulumi-nodejs:dynamic/monitoring:Daemon`: a long-running monitoring server (Prometheus,
 * Alertmanager) of the local stack, started detached with the local platform's process code
 * (providers/local/process.ts) so it outlives `pulumi up`. Its config files are written into
 * its own directory first; a change of files or command restarts it; a dead process is a diff,
 * so the next `up` starts it again; `destroy` stops it.
 */
import * as pulumi from "@pulumi/pulumi";
import {
  isOurProcess,
  launch,
  logTail,
  portIsFree,
  stop,
  waitHealthy,
  waitPortFree,
} from "../../providers/local/process";

export interface DaemonInputs {
  /** Name of the daemon; also its folder under `<stateDir>/monitoring/`. */
  name: string;
  /** argv, no shell; run in the daemon's folder (relative paths in flags resolve there). */
  command: string[];
  /** Loopback port it listens on. */
  port: number;
  /** Path answering 2xx once it is ready, e.g. /-/ready. */
  readyPath: string;
  /** Absolute state dir of the local stack. */
  stateDir: string;
  /** Files to write into its folder before it starts (name → content); may hold secrets. */
  files: Record<string, string>;
  /** Seconds to wait for readiness. */
  startTimeoutSeconds: number;
}

export interface DaemonOutputs extends DaemonInputs {
  url: string;
  pid: number;
  startTime: string;
  logFile: string;
}

const OUTPUT_ONLY = ["url", "pid", "startTime", "logFile"];

/** `program` found on PATH (or as given when it holds a '/'), else undefined. */
function findProgram(program: string): string | undefined {
  const fs = require("fs") as typeof import("fs");
  const path = require("path") as typeof import("path");
  if (program.includes("/")) return fs.existsSync(program) ? program : undefined;
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    const candidate = path.join(dir, program);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      /* not here */
    }
  }
  return undefined;
}

async function start(inputs: DaemonInputs): Promise<DaemonOutputs> {
  const fs = require("fs") as typeof import("fs");
  const path = require("path") as typeof import("path");
  const dir = path.join(inputs.stateDir, "monitoring", inputs.name);
  const logFile = path.join(dir, `${inputs.name}.log`);
  const program = findProgram(inputs.command[0]);
  if (!program) {
    throw new Error(
      `${inputs.name}: ${inputs.command[0]} is not installed; install Debian's ${
        inputs.name === "alertmanager" ? "prometheus-alertmanager" : "prometheus"
      } package (scripts/setup.sh does) or remove alarms.localMonitoring`,
    );
  }
  if (!(await portIsFree(inputs.port))) {
    throw new Error(
      `${inputs.name}: port ${inputs.port} on 127.0.0.1 is in use; pick another alarms.localMonitoring.${inputs.name}Port`,
    );
  }
  fs.mkdirSync(dir, { recursive: true });
  for (const [name, content] of Object.entries(inputs.files)) {
    // 0600: the Alertmanager config holds webhook URLs and keys.
    fs.writeFileSync(path.join(dir, name), content, { mode: 0o600 });
    fs.chmodSync(path.join(dir, name), 0o600);
  }
  const proc = await launch({
    command: [program, ...inputs.command.slice(1)],
    cwd: dir,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
    logFile,
  });
  const unhealthy = await waitHealthy(proc, inputs.port, inputs.readyPath, inputs.startTimeoutSeconds * 1000);
  if (unhealthy) {
    await stop(proc, 5000);
    throw new Error(`${inputs.name} did not start: ${unhealthy}\n${logTail(logFile, 15)}`);
  }
  return {
    ...inputs,
    url: `http://127.0.0.1:${inputs.port}`,
    pid: proc.pid,
    startTime: proc.startTime,
    logFile,
  };
}

function differs(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) !== JSON.stringify(b);
}

export const daemonProvider: pulumi.dynamic.ResourceProvider = {
  async check(_olds: DaemonInputs, news: DaemonInputs) {
    const failures: pulumi.dynamic.CheckFailure[] = [];
    if (!Array.isArray(news.command) || news.command.length === 0)
      failures.push({ property: "command", reason: "must list at least the program to run" });
    if (!require("path").isAbsolute(news.stateDir ?? ""))
      failures.push({ property: "stateDir", reason: "must be an absolute path" });
    return { inputs: news, failures };
  },

  async diff(_id: string, olds: DaemonOutputs, news: DaemonInputs) {
    const keys = new Set([...Object.keys(news), ...Object.keys(olds)]);
    const changed = [...keys].filter(
      (k) => !OUTPUT_ONLY.includes(k) && differs((olds as never)[k], (news as never)[k]),
    );
    // A daemon that died (or a reused pid) is started again by the next `up`.
    const down = !isOurProcess({ pid: olds.pid, startTime: olds.startTime });
    const replaces = differs(olds.name, news.name) || differs(olds.stateDir, news.stateDir) ? ["name"] : [];
    return { changes: changed.length > 0 || down, replaces, deleteBeforeReplace: true };
  },

  async create(inputs: DaemonInputs) {
    return { id: inputs.name, outs: await start(inputs) };
  },

  async update(_id: string, olds: DaemonOutputs, news: DaemonInputs) {
    await stop({ pid: olds.pid, startTime: olds.startTime }, 5000);
    // The restarted server takes the same port: let the old one release it first.
    await waitPortFree(olds.port, 5000);
    return { outs: await start(news) };
  },

  async read(id: string, props: DaemonOutputs) {
    const alive = isOurProcess({ pid: props.pid, startTime: props.startTime });
    return { id, props: { ...props, pid: alive ? props.pid : 0, startTime: alive ? props.startTime : "" } };
  },

  async delete(_id: string, props: DaemonOutputs) {
    await stop({ pid: props.pid, startTime: props.startTime }, 5000);
  },
};

export type DaemonArgs = { [K in keyof DaemonInputs]: pulumi.Input<DaemonInputs[K]> };

export class Daemon extends pulumi.dynamic.Resource {
  declare readonly url: pulumi.Output<string>;
  declare readonly pid: pulumi.Output<number>;
  declare readonly logFile: pulumi.Output<string>;

  constructor(name: string, args: DaemonArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      daemonProvider,
      name,
      { ...args, url: undefined, pid: undefined, startTime: undefined, logFile: undefined },
      // The files may hold the Alertmanager's webhook URLs and keys.
      { ...opts, additionalSecretOutputs: ["files"] },
      "monitoring",
      "Daemon",
    );
  }
}
