/**
 * A real PostgreSQL server for tests, from Debian's packages, in a temp dir on a free loopback
 * port. Installs the `postgresql` package with apt-get when no initdb is found.
 *
 *   const pg = await startPostgres();      // ~1-2 s
 *   pg.url                                 // postgres://fleetgate@127.0.0.1:<port>/postgres
 *   await pg.query("create table t (id int)");
 *   await pg.createDatabase("app");        // returns its URL
 *   await pg.stop();                       // stops the server and removes the temp dir
 *
 * initdb refuses to run as root, so as root the data dir is owned by `postgres` and the
 * binaries run through `runuser -u postgres`. Authentication is `trust` (loopback only).
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import { tempDir } from "./engine";

export interface TestPostgres {
  /** Connection string of the `postgres` database as the superuser `fleetgate`. */
  url: string;
  port: number;
  /** Runs SQL on a database of this server (default `postgres`) and returns the rows. */
  query(sql: string, database?: string): Promise<Record<string, unknown>[]>;
  /** Creates a database and returns its connection string. */
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

const USER = "fleetgate";

/** The directory holding initdb/pg_ctl: PATH first, then Debian's versioned dirs (newest). */
export function findPostgresBinDir(): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    if (dir && fs.existsSync(path.join(dir, "initdb")) && fs.existsSync(path.join(dir, "pg_ctl"))) return dir;
  }
  const root = "/usr/lib/postgresql";
  if (!fs.existsSync(root)) return undefined;
  const versions = fs
    .readdirSync(root)
    .filter((v) => fs.existsSync(path.join(root, v, "bin", "initdb")))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length ? path.join(root, versions[0], "bin") : undefined;
}

function ensurePostgresInstalled(): string {
  let bin = findPostgresBinDir();
  if (!bin) {
    execFileSync("apt-get", ["update", "-qq"], { stdio: "ignore" });
    execFileSync("apt-get", ["install", "-y", "-qq", "--no-install-recommends", "postgresql"], {
      stdio: "ignore",
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    });
    bin = findPostgresBinDir();
  }
  if (!bin) throw new Error("PostgreSQL binaries not found after installing the postgresql package");
  return bin;
}

/** A port the kernel just handed out and released: free for the server to take. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/** Runs a PostgreSQL binary, as `postgres` when this process is root (initdb refuses root). */
function runPg(bin: string, args: string[]): void {
  const asRoot = process.getuid?.() === 0;
  const [cmd, argv] = asRoot ? ["runuser", ["-u", "postgres", "--", bin, ...args]] : [bin, args];
  execFileSync(cmd, argv, { stdio: ["ignore", "pipe", "pipe"], cwd: "/" });
}

export async function startPostgres(): Promise<TestPostgres> {
  const bin = ensurePostgresInstalled();
  const root = tempDir("pg");
  const data = path.join(root, "data");
  fs.mkdirSync(data, { mode: 0o700 });
  if (process.getuid?.() === 0) {
    // The postgres user must reach the dir through the (root-owned) temp dir.
    fs.chmodSync(root, 0o755);
    execFileSync("chown", ["-R", "postgres:postgres", root]);
  }
  const port = await freePort();
  runPg(path.join(bin, "initdb"), ["-D", data, "-A", "trust", "-U", USER, "--no-sync", "-E", "UTF8"]);
  runPg(path.join(bin, "pg_ctl"), [
    "-D",
    data,
    "-l",
    path.join(root, "server.log"),
    "-w",
    "-o",
    `-p ${port} -k ${root} -c listen_addresses=127.0.0.1 -c fsync=off`,
    "start",
  ]);
  const url = (db: string) => `postgres://${USER}@127.0.0.1:${port}/${db}`;
  const query = async (sql: string, database = "postgres") => {
    const { Client } = require("pg") as typeof import("pg");
    const client = new Client({ connectionString: url(database) });
    await client.connect();
    try {
      return (await client.query(sql)).rows as Record<string, unknown>[];
    } finally {
      await client.end();
    }
  };
  return {
    url: url("postgres"),
    port,
    query,
    async createDatabase(name) {
      await query(`create database "${name.replace(/"/g, '""')}"`);
      return url(name);
    },
    async stop() {
      try {
        runPg(path.join(bin, "pg_ctl"), ["-D", data, "-m", "immediate", "-w", "stop"]);
      } finally {
        fs.rmSync(root, { recursive: true, force: true });
      }
    },
  };
}
