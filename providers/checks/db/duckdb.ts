/**
 * Snapshot of a DuckDB file, opened read-only and closed right after (a running worker may own
 * the file; a lock held by a writer is waited for briefly, then reported).
 */
import type { DbSnapshot } from "./snapshot";

const LOCK_WAIT_MS = 3000;

function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export async function openReadOnly(file: string) {
  const duckdb = require("@duckdb/node-api") as typeof import("@duckdb/node-api");
  const fs = require("fs") as typeof import("fs");
  // DuckDB would create a missing file; a missing database is an error here.
  if (!fs.existsSync(file)) throw new Error(`DuckDB file ${file} does not exist`);
  const started = Date.now();
  for (;;) {
    try {
      return await duckdb.DuckDBInstance.create(file, { access_mode: "READ_ONLY" });
    } catch (err) {
      const locked = /lock/i.test(err instanceof Error ? err.message : String(err));
      if (!locked || Date.now() - started > LOCK_WAIT_MS) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

export async function snapshotDuckdb(file: string, criticalTables: string[]): Promise<DbSnapshot> {
  const instance = await openReadOnly(file);
  const connection = await instance.connect();
  try {
    const rows = async (sql: string) => (await connection.runAndReadAll(sql)).getRowObjectsJS();
    const names = (rs: Record<string, unknown>[]) => rs.map((r) => `${r.schema_name}.${r.name}`).sort();
    const tables = names(
      await rows(
        "select schema_name, table_name as name from duckdb_tables() where not internal and not temporary and database_name = current_database()",
      ),
    );
    const views = names(
      await rows(
        "select schema_name, view_name as name from duckdb_views() where not internal and not temporary and database_name = current_database()",
      ),
    );
    const rowCounts: Record<string, number> = {};
    for (const table of criticalTables.filter((t) => tables.includes(t))) {
      const [schema, name] = table.split(".");
      const [r] = await rows(`select count(*) as n from ${ident(schema)}.${ident(name)}`);
      rowCounts[table] = Number(r.n);
    }
    return {
      engine: "duckdb",
      tables,
      views,
      rowLevelSecurity: [],
      rowCounts,
      takenAt: new Date().toISOString(),
    };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}
