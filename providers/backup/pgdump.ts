/**
 * Running `pg_dump -Fc` safely: the connection string travels in libpq's environment variables
 * (PGHOST, PGPASSWORD, ...), never in argv where `ps` or a log could show it, and pg_dump's
 * stderr is scrubbed of the password and the connection string before it reaches an error.
 * Node modules are required inside the functions: they are serialized into the provider process.
 */

/**
 * A PostgreSQL client tool (`pg_dump`, `pg_restore`) on PATH, else the newest of Debian's
 * /usr/lib/postgresql/<version>/bin. `who` names the caller in the error.
 */
export function findPgTool(tool: "pg_dump" | "pg_restore", who: string): string {
  const fs = require("fs") as typeof import("fs");
  const path = require("path") as typeof import("path");
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    if (dir && fs.existsSync(path.join(dir, tool))) return path.join(dir, tool);
  }
  const root = "/usr/lib/postgresql";
  const versions = fs.existsSync(root)
    ? fs
        .readdirSync(root)
        .filter((v) => fs.existsSync(path.join(root, v, "bin", tool)))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (!versions.length) {
    throw new Error(
      `${who}: ${tool} not found on PATH or in /usr/lib/postgresql/*/bin; install postgresql-client`,
    );
  }
  return path.join(root, versions[0], "bin", tool);
}

/** pg_dump on PATH, else the newest of Debian's /usr/lib/postgresql/<version>/bin. */
export function findPgDump(): string {
  return findPgTool("pg_dump", "backup");
}

/** libpq environment for a `postgres://` / `postgresql://` URI. */
export function libpqEnv(connection: string): Record<string, string> {
  let url: URL;
  try {
    url = new URL(connection);
  } catch {
    throw new Error(
      "backup: the connection is not a postgres:// URI (the value is not shown: it is a secret)",
    );
  }
  if (url.protocol !== "postgres:" && url.protocol !== "postgresql:") {
    throw new Error(`backup: the connection must be a postgres:// URI, got a ${url.protocol}// one`);
  }
  const env: Record<string, string> = {};
  if (url.hostname) env.PGHOST = decodeURIComponent(url.hostname.replace(/^\[|\]$/g, ""));
  if (url.port) env.PGPORT = url.port;
  if (url.username) env.PGUSER = decodeURIComponent(url.username);
  if (url.password) env.PGPASSWORD = decodeURIComponent(url.password);
  const db = decodeURIComponent(url.pathname.replace(/^\//, ""));
  if (db) env.PGDATABASE = db;
  // The query parameters libpq documents as environment variables.
  const params: Record<string, string> = {
    sslmode: "PGSSLMODE",
    sslrootcert: "PGSSLROOTCERT",
    sslcert: "PGSSLCERT",
    sslkey: "PGSSLKEY",
    connect_timeout: "PGCONNECT_TIMEOUT",
    application_name: "PGAPPNAME",
    options: "PGOPTIONS",
    host: "PGHOST",
    port: "PGPORT",
    user: "PGUSER",
    dbname: "PGDATABASE",
  };
  for (const [k, v] of url.searchParams) if (params[k]) env[params[k]] = v;
  return env;
}

/** Removes every secret-bearing piece of the connection from a text (pg_dump's stderr). */
export function scrub(text: string, connection: string): string {
  let out = text;
  const secrets = [connection];
  try {
    const url = new URL(connection);
    if (url.password) secrets.push(url.password, decodeURIComponent(url.password));
  } catch {
    // not a URI: only the whole string is known to be secret
  }
  for (const s of secrets.filter((x) => x.length >= 3).sort((a, b) => b.length - a.length)) {
    out = out.split(s).join("[secret]");
  }
  return out;
}

export interface DumpResult {
  sizeBytes: number;
  durationMs: number;
}

/**
 * Dumps the database to `file` in custom format. Writes `<file>.partial` and renames it on
 * success, so a file with the final name is always a complete dump. A dump holds every row of
 * the database: the file is created 0600 before pg_dump opens it (pg_dump truncates it and keeps
 * the mode, whatever the umask), and a directory fleetgate creates is 0700.
 */
export function pgDump(connection: string, file: string, timeoutMs: number): Promise<DumpResult> {
  const fs = require("fs") as typeof import("fs");
  const path = require("path") as typeof import("path");
  const { spawn } = require("child_process") as typeof import("child_process");
  const bin = findPgDump();
  const env = libpqEnv(connection);
  const partial = `${file}.partial`;
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  fs.rmSync(partial, { force: true });
  fs.writeFileSync(partial, "", { mode: 0o600, flag: "wx" });
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(bin, ["--format=custom", "--no-password", `--file=${partial}`], {
      // Only what pg_dump needs: no inherited PG* variable may point it at another server.
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", LANG: "C", ...env },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => {
      if (stderr.length < 8192) stderr += d.toString("utf8");
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    const fail = (why: string) => {
      fs.rmSync(partial, { force: true });
      reject(
        new Error(`backup: pg_dump ${why}${stderr.trim() ? `:\n${scrub(stderr.trim(), connection)}` : ""}`),
      );
    };
    child.on("error", (err) => {
      clearTimeout(timer);
      fail(`could not start (${err.message})`);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (signal === "SIGKILL")
        return fail(`did not finish within ${timeoutMs / 1000} s (gates.backup.timeoutSeconds)`);
      if (code !== 0) return fail(`exited with code ${code}`);
      fs.chmodSync(partial, 0o600);
      fs.renameSync(partial, file);
      resolve({ sizeBytes: fs.statSync(file).size, durationMs: Date.now() - started });
    });
  });
}
