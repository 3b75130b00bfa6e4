/**
 * Restore drill (docs/restore-drills.md): restores a `pg_dump -Fc` file into a fresh scratch
 * database, snapshots it and compares it with the source database, then drops the scratch
 * database. A backup that was never restored is not a backup: this proves the file restores and
 * holds the tables, views and (critical) rows the source has.
 *
 * The scratch database is created on `scratchServer` (a postgres:// URI of any database on that
 * server, usually the maintenance database `postgres`; the user needs CREATEDB) and always
 * dropped afterwards, also when the restore fails. Connection strings reach pg_restore through
 * libpq's environment (never argv) and are scrubbed from its messages. Node modules are required
 * inside the functions: this module is serialized into a dynamic provider.
 */
import { findPgTool, libpqEnv, scrub } from "./pgdump";
import { snapshotPostgres } from "../checks/db/postgres";
import type { DbSnapshot } from "../checks/db/snapshot";

export interface RestoreDrillInputs {
  /** The database the dump was taken of (compared with the restore). */
  source: string;
  /** A URI on the server that holds the scratch database; default: the source's server, database `postgres`. */
  scratchServer?: string;
  /** The dump file (custom format) to restore. */
  dumpPath: string;
  /** Tables whose row counts are compared (schema-qualified or in `public`). */
  criticalTables: string[];
  /**
   * Rows a critical table of the restore may lack against the source, in percent of the source's
   * rows: the source keeps taking writes between the dump and the comparison. 0 = exact.
   */
  rowTolerancePercent: number;
  timeoutSeconds: number;
}

export interface RestoreDrillResult {
  outcome: "restored" | "failed";
  dumpPath: string;
  /** The scratch database's name (dropped again). */
  scratchDatabase: string;
  restored?: DbSnapshot;
  source?: DbSnapshot;
  /** What the restore lacks against the source; empty when it matches. */
  problems: string[];
  durationMs: number;
  at: string;
}

/** pg_restore on PATH, else the newest of Debian's /usr/lib/postgresql/<version>/bin. */
export function findPgRestore(): string {
  return findPgTool("pg_restore", "restore drill");
}

/** The same server's URI with another database. */
export function withDatabase(uri: string, database: string): string {
  const url = new URL(uri);
  url.pathname = `/${encodeURIComponent(database)}`;
  return url.toString();
}

/** `fleetgate_drill_<UTC stamp>_<random>`: unique, a valid unquoted identifier, < 63 bytes. */
export function scratchDatabaseName(at: Date): string {
  const stamp = at
    .toISOString()
    .replace(/[-:T]/g, "")
    .replace(/\.\d+Z$/, "");
  return `fleetgate_drill_${stamp}_${Math.random().toString(36).slice(2, 8)}`;
}

function runPgRestore(connection: string, dumpPath: string, timeoutMs: number): Promise<void> {
  const { spawn } = require("child_process") as typeof import("child_process");
  const bin = findPgRestore();
  const env = libpqEnv(connection);
  return new Promise((resolve, reject) => {
    const child = spawn(
      bin,
      [
        "--no-owner",
        "--no-privileges",
        "--exit-on-error",
        "--no-password",
        `--dbname=${env.PGDATABASE}`,
        dumpPath,
      ],
      {
        env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", LANG: "C", ...env },
        stdio: ["ignore", "ignore", "pipe"],
      },
    );
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => {
      if (stderr.length < 8192) stderr += d.toString("utf8");
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    const fail = (why: string) =>
      reject(new Error(`pg_restore ${why}${stderr.trim() ? `:\n${scrub(stderr.trim(), connection)}` : ""}`));
    child.on("error", (err) => {
      clearTimeout(timer);
      fail(`could not start (${err.message})`);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (signal === "SIGKILL") return fail(`did not finish within ${timeoutMs / 1000} s`);
      if (code !== 0) return fail(`exited with code ${code}`);
      resolve();
    });
  });
}

async function onServer(uri: string, sql: string): Promise<void> {
  const { Client } = require("pg") as typeof import("pg");
  const client = new Client({
    connectionString: uri,
    connectionTimeoutMillis: 10_000,
    application_name: "fleetgate-restore-drill",
  });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** What the restored database lacks against the source: tables, views, critical rows. */
export function restoreDifferences(
  source: DbSnapshot,
  restored: DbSnapshot,
  tolerancePercent: number,
): string[] {
  const problems: string[] = [];
  const lacking = (want: string[], have: string[]) => want.filter((t) => !have.includes(t));
  const tables = lacking(source.tables, restored.tables);
  const views = lacking(source.views, restored.views);
  if (tables.length) problems.push(`tables missing from the restore: ${tables.join(", ")}`);
  if (views.length) problems.push(`views missing from the restore: ${views.join(", ")}`);
  for (const [table, rows] of Object.entries(source.rowCounts)) {
    const got = restored.rowCounts[table];
    if (got === undefined) continue; // reported as a missing table
    const floor = Math.floor(rows * (1 - tolerancePercent / 100));
    if (got < floor) {
      problems.push(
        `${table}: ${got} rows restored, the source has ${rows}` +
          (tolerancePercent > 0 ? ` (at most ${tolerancePercent} % may be missing)` : ""),
      );
    }
  }
  return problems;
}

/**
 * Restores the dump into a new scratch database, compares, drops the scratch database. Never
 * throws for a failed restore or a difference: the result says `failed` with the problems (the
 * caller decides whether that fails a deploy); throws only for bad inputs.
 */
export async function restoreDrill(inputs: RestoreDrillInputs): Promise<RestoreDrillResult> {
  const fs = require("fs") as typeof import("fs");
  const started = Date.now();
  const at = new Date();
  const server = inputs.scratchServer ?? withDatabase(inputs.source, "postgres");
  const scratchDatabase = scratchDatabaseName(at);
  const scratch = withDatabase(server, scratchDatabase);
  const critical = inputs.criticalTables.map((t) => (t.includes(".") ? t : `public.${t}`));
  const result = (problems: string[], extra: Partial<RestoreDrillResult> = {}): RestoreDrillResult => ({
    outcome: problems.length ? "failed" : "restored",
    dumpPath: inputs.dumpPath,
    scratchDatabase,
    problems,
    durationMs: Date.now() - started,
    at: at.toISOString(),
    ...extra,
  });
  const secretFree = (err: unknown) =>
    scrub(scrub((err as Error).message ?? String(err), inputs.source), server).replace(/\s*\n\s*/g, " ");
  if (!fs.existsSync(inputs.dumpPath)) return result([`the dump ${inputs.dumpPath} does not exist`]);
  try {
    await onServer(server, `create database "${scratchDatabase}"`);
  } catch (err) {
    return result([`cannot create the scratch database ${scratchDatabase}: ${secretFree(err)}`]);
  }
  try {
    try {
      await runPgRestore(scratch, inputs.dumpPath, inputs.timeoutSeconds * 1000);
    } catch (err) {
      return result([`the dump does not restore: ${secretFree(err)}`]);
    }
    let restored: DbSnapshot;
    let source: DbSnapshot;
    try {
      [restored, source] = await Promise.all([
        snapshotPostgres(scratch, critical),
        snapshotPostgres(inputs.source, critical),
      ]);
    } catch (err) {
      return result([`cannot compare the restore with the source: ${secretFree(err)}`]);
    }
    return result(restoreDifferences(source, restored, inputs.rowTolerancePercent), { restored, source });
  } finally {
    // with (force): a connection left by a killed pg_restore must not keep the scratch database.
    await onServer(server, `drop database if exists "${scratchDatabase}" with (force)`).catch(
      () => undefined,
    );
  }
}
