/**
 * Process control for the local platform: start a detached service process, recognise it
 * later (pid + start time, so a reused pid is never mistaken for ours; /proc on Linux, `ps`
 * elsewhere, so it runs on macOS too), wait for its
 * health endpoint, and stop it (SIGTERM to its process group, SIGKILL after a grace period).
 *
 * Every function requires Node modules inside its body: dynamic providers serialize these
 * functions into their provider process.
 */

/** Who a running service process is: enough to recognise it after a pid was reused. */
export interface ProcessIdentity {
  pid: number;
  /**
   * When the process started, as `processStat` reports it: `proc:<clock ticks since boot>` on
   * Linux (field 22 of /proc/<pid>/stat), `ps:<lstart>` elsewhere (macOS, BSD). A bare number is
   * a /proc start time recorded by an older fleetgate. A reused pid has another start time.
   */
  startTime: string;
}

/** What to run: argv, working directory, complete environment, log file. */
export interface LaunchSpec {
  command: string[];
  cwd: string;
  env: Record<string, string>;
  logFile: string;
}

/** A started process, with its early exit (if any) observed while this process lives. */
export interface Launched extends ProcessIdentity {
  exited: () => string | undefined;
}

/** Start time and state (`R`, `S`, `Z`, ...) of a pid, or undefined when no such process exists. */
export interface ProcessStat {
  startTime: string;
  state: string;
}

/** Linux: reads /proc/<pid>/stat (no child process). */
export function procStat(pid: number): ProcessStat | undefined {
  const fs = require("fs") as typeof import("fs");
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // `pid (comm) state ...`: comm may hold spaces and parentheses, so split after the last ')'.
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  return { state: fields[0], startTime: `proc:${fields[19]}` };
}

/** Any POSIX system: asks `ps` (POSIX options only) for the start time and state of a pid. */
export function psStat(pid: number): ProcessStat | undefined {
  const { spawnSync } = require("child_process") as typeof import("child_process");
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  const r = spawnSync("ps", ["-o", "lstart=", "-o", "stat=", "-p", String(pid)], {
    encoding: "utf8",
    // lstart is printed in the locale's format: pin it so a record stays comparable.
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", LC_ALL: "C", LANG: "C" },
    timeout: 5000,
  });
  if (r.error) {
    throw new Error(`cannot inspect process ${pid}: ps failed (${r.error.message}); install ps (procps)`);
  }
  const line = (r.stdout ?? "").trim();
  // Exit 1 with no output: no such process.
  if (r.status !== 0 || !line) return undefined;
  // `Sun Nov 29 01:16:16 2026 Ss`: the state is the last field, the start time the rest.
  const at = line.lastIndexOf(" ");
  return { startTime: `ps:${line.slice(0, at).trim().replace(/\s+/g, " ")}`, state: line.slice(at + 1) };
}

/**
 * The start time and state of a pid: from /proc where the system has it (Linux), otherwise from
 * `ps` (macOS has no /proc). `FLEETGATE_PROCESS_INFO=ps` forces `ps` (tests run that path on
 * Linux too).
 */
export function processStat(pid: number): ProcessStat | undefined {
  const fs = require("fs") as typeof import("fs");
  const useProc = process.env.FLEETGATE_PROCESS_INFO !== "ps" && fs.existsSync("/proc/self/stat");
  return useProc ? procStat(pid) : psStat(pid);
}

/** True when the recorded process is alive (not a zombie) and is the one we started. */
export function isOurProcess(id: ProcessIdentity | undefined): boolean {
  if (!id || !id.pid) return false;
  // Cheap first: no such pid at all (ESRCH). EPERM means it exists but is someone else's.
  try {
    process.kill(id.pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  const recorded = /^\d+$/.test(id.startTime) ? `proc:${id.startTime}` : id.startTime;
  const stat = recorded.startsWith("proc:") ? procStat(id.pid) : psStat(id.pid);
  return !!stat && stat.startTime === recorded && !stat.state.startsWith("Z") && stat.state !== "X";
}

/** Resolves argv[0]: `node` is this Node.js; a relative path is relative to the project dir. */
export function resolveProgram(program: string, cwd: string): string {
  const path = require("path") as typeof import("path");
  if (program === "node") return process.execPath;
  if (program.includes("/") && !path.isAbsolute(program)) return path.resolve(cwd, program);
  return program;
}

/** Starts the command detached (own process group), stdout/stderr appended to its log. */
export async function launch(spec: LaunchSpec): Promise<Launched> {
  const fs = require("fs") as typeof import("fs");
  const path = require("path") as typeof import("path");
  const { spawn } = require("child_process") as typeof import("child_process");
  fs.mkdirSync(path.dirname(spec.logFile), { recursive: true });
  const log = fs.openSync(spec.logFile, "a");
  fs.writeSync(log, `\n--- fleetgate: start ${new Date().toISOString()}: ${spec.command.join(" ")}\n`);
  let exit: string | undefined;
  try {
    const child = spawn(resolveProgram(spec.command[0], spec.cwd), spec.command.slice(1), {
      cwd: spec.cwd,
      env: spec.env,
      detached: true,
      stdio: ["ignore", log, log],
    });
    child.on("exit", (code, signal) => (exit = signal ? `killed by ${signal}` : `exited with code ${code}`));
    const spawnError = await new Promise<Error | undefined>((resolve) => {
      child.once("spawn", () => resolve(undefined));
      child.once("error", (e) => resolve(e));
    });
    if (spawnError || !child.pid) {
      throw new Error(`cannot start ${JSON.stringify(spec.command[0])}: ${spawnError?.message ?? "no pid"}`);
    }
    child.unref();
    const stat = processStat(child.pid);
    return { pid: child.pid, startTime: stat?.startTime ?? "", exited: () => exit };
  } finally {
    fs.closeSync(log);
  }
}

/** True when nothing accepts connections on 127.0.0.1:<port>. */
export async function portIsFree(port: number): Promise<boolean> {
  const net = require("net") as typeof import("net");
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    socket.setTimeout(1000);
    socket.once("connect", () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("timeout", () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("error", () => resolve(true));
  });
}

/** One GET of the health URL; resolves to the status code or an error message. */
export async function probe(url: string, timeoutMs: number): Promise<number | string> {
  const http = require("http") as typeof import("http");
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.once("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.once("error", (e) => resolve(e.message));
  });
}

/**
 * Waits until the process answers its health path with 2xx (or, without a path, stays up
 * for a second). Returns undefined when healthy, otherwise why not.
 */
export async function waitHealthy(
  proc: Launched,
  port: number,
  healthCheckPath: string | undefined,
  timeoutMs: number,
): Promise<string | undefined> {
  const deadline = Date.now() + timeoutMs;
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  if (!healthCheckPath) {
    await sleep(Math.min(1000, timeoutMs));
    return isOurProcess(proc) ? undefined : `process ${proc.exited() ?? "exited"}`;
  }
  let last = "no answer yet";
  while (Date.now() < deadline) {
    if (!isOurProcess(proc)) return `process ${proc.exited() ?? "exited"} before it became healthy`;
    const got = await probe(`http://127.0.0.1:${port}${healthCheckPath}`, 1000);
    if (typeof got === "number" && got >= 200 && got < 300) return undefined;
    last = typeof got === "number" ? `${healthCheckPath} answered ${got}` : got;
    await sleep(200);
  }
  return `not healthy within ${Math.round(timeoutMs / 1000)} s (${last})`;
}

/**
 * Stops the process group of a process we started; a pid that is no longer ours is left alone.
 * Returns whether there was a process of ours to stop.
 */
export async function stop(id: ProcessIdentity | undefined, graceMs: number): Promise<boolean> {
  if (!isOurProcess(id)) return false;
  const pid = id!.pid;
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pid, sig); // the whole group: the service and anything it spawned
    } catch {
      try {
        process.kill(pid, sig);
      } catch {
        /* already gone */
      }
    }
  };
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  signal("SIGTERM");
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isOurProcess(id)) return true;
    await sleep(100);
  }
  signal("SIGKILL");
  for (let i = 0; i < 50 && isOurProcess(id); i++) await sleep(100);
  return true;
}

/** Waits (briefly) for a port to be released after a stop. */
export async function waitPortFree(port: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await portIsFree(port)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return portIsFree(port);
}

/** The last lines of a log file, for error messages. */
export function logTail(file: string, lines: number): string {
  const fs = require("fs") as typeof import("fs");
  try {
    const text = fs.readFileSync(file, "utf8").trimEnd().split("\n");
    return text.slice(-lines).join("\n");
  } catch {
    return "";
  }
}
