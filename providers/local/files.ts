/**
 * The local platform's state dir: where env files, logs, pid records and deploy records live,
 * and how they are read and written. Layout under <stateDir>:
 *   env/<service>.env                  the service's complete env-var set (mode 0600)
 *   logs/<service>.log                 stdout and stderr of every start
 *   services/<service>/process.json    the running process: pid, kernel start time, deploy id
 *   services/<service>/deploys/<n>.json + <n>.env   what deploy n ran, for rollback (0600;
 *                                      removed with the service on destroy)
 *
 * Functions require Node modules inside their bodies (serialized into provider processes).
 */

export interface DeployRecord {
  deployId: number;
  command: string[];
  cwd: string;
  port: number;
  healthCheckPath?: string;
  startTimeoutSeconds: number;
  image: string;
  startedAt: string;
}

export interface ProcessRecord {
  pid: number;
  startTime: string;
  deployId: number;
}

export function envFilePath(stateDir: string, service: string): string {
  return require("path").join(stateDir, "env", `${service}.env`);
}

export function logFilePath(stateDir: string, service: string): string {
  return require("path").join(stateDir, "logs", `${service}.log`);
}

export function serviceDir(stateDir: string, service: string): string {
  return require("path").join(stateDir, "services", service);
}

/** Reads an env file; a missing file is undefined (any other read error is thrown). */
export function readEnvFile(file: string): Record<string, string> | undefined {
  const fs = require("fs") as typeof import("fs");
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
  return parseEnvText(text, file);
}

/** Parses `KEY=value` lines; a value starting with `"` is a JSON string; `#` starts a comment line. */
export function parseEnvText(text: string, where: string): Record<string, string> {
  const vars: Record<string, string> = {};
  text.split("\n").forEach((line, i) => {
    const trimmed = line.trim();
    if (!trimmed || trimmed.startsWith("#")) return;
    const eq = trimmed.indexOf("=");
    if (eq <= 0) throw new Error(`${where}:${i + 1}: expected KEY=value`);
    const key = trimmed.slice(0, eq).trim();
    const raw = trimmed.slice(eq + 1).trim();
    // The line number, never the value, goes into the error: values may be secrets.
    try {
      vars[key] = raw.startsWith('"') ? JSON.parse(raw) : raw;
    } catch {
      throw new Error(`${where}:${i + 1}: the value of ${key} is not a valid quoted string`);
    }
  });
  return vars;
}

/** Writes a complete env file atomically, readable only by its owner. */
export function writeEnvFile(file: string, vars: Record<string, string>, header: string): void {
  const lines = Object.keys(vars)
    .sort()
    .map((k) => `${k}=${JSON.stringify(vars[k])}`);
  writePrivateFile(file, `# ${header}\n${lines.join("\n")}\n`);
}

/** Atomic write (temp file + rename) with mode 0600. */
export function writePrivateFile(file: string, content: string): void {
  const fs = require("fs") as typeof import("fs");
  const path = require("path") as typeof import("path");
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, content, { mode: 0o600 });
  fs.renameSync(tmp, file);
}

export function readJson<T>(file: string): T | undefined {
  const fs = require("fs") as typeof import("fs");
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")) as T;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
}

export function readProcessRecord(stateDir: string, service: string): ProcessRecord | undefined {
  return readJson<ProcessRecord>(require("path").join(serviceDir(stateDir, service), "process.json"));
}

export function writeProcessRecord(stateDir: string, service: string, rec: ProcessRecord | undefined): void {
  const fs = require("fs") as typeof import("fs");
  const file = require("path").join(serviceDir(stateDir, service), "process.json");
  if (rec) writePrivateFile(file, JSON.stringify(rec, null, 2));
  else fs.rmSync(file, { force: true });
}

/** Deploy ids recorded for a service, ascending. */
export function deployIds(stateDir: string, service: string): number[] {
  const fs = require("fs") as typeof import("fs");
  const dir = require("path").join(serviceDir(stateDir, service), "deploys");
  let names: string[] = [];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .map((n) => /^(\d+)\.json$/.exec(n))
    .filter((m): m is RegExpExecArray => !!m)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
}

/** Records deploy n with a copy of the env it started with (for rollback); keeps the last 5. */
export function writeDeployRecord(stateDir: string, service: string, rec: DeployRecord, env: string): void {
  const fs = require("fs") as typeof import("fs");
  const path = require("path") as typeof import("path");
  const dir = path.join(serviceDir(stateDir, service), "deploys");
  writePrivateFile(path.join(dir, `${rec.deployId}.env`), env);
  writePrivateFile(path.join(dir, `${rec.deployId}.json`), JSON.stringify(rec, null, 2));
  for (const old of deployIds(stateDir, service).slice(0, -5)) {
    fs.rmSync(path.join(dir, `${old}.json`), { force: true });
    fs.rmSync(path.join(dir, `${old}.env`), { force: true });
  }
}

export function readDeployRecord(
  stateDir: string,
  service: string,
  deployId: number,
): { rec: DeployRecord; env: string } | undefined {
  const fs = require("fs") as typeof import("fs");
  const path = require("path") as typeof import("path");
  const dir = path.join(serviceDir(stateDir, service), "deploys");
  const rec = readJson<DeployRecord>(path.join(dir, `${deployId}.json`));
  if (!rec) return undefined;
  return { rec, env: fs.readFileSync(path.join(dir, `${deployId}.env`), "utf8") };
}

/**
 * Removes everything recorded for a service (process record, deploy records and their env
 * copies, which hold secret values). Its log stays: it is the service's own output.
 */
export function removeServiceRecords(stateDir: string, service: string): void {
  const fs = require("fs") as typeof import("fs");
  fs.rmSync(serviceDir(stateDir, service), { recursive: true, force: true });
}
