/**
 * Snapshot of a PostgreSQL database: user tables and views, row-level security flags and exact
 * row counts of the critical tables, read in one repeatable-read transaction.
 */
import type { DbSnapshot } from "./snapshot";

/** Double-quotes an identifier for SQL. */
function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export async function snapshotPostgres(connection: string, criticalTables: string[]): Promise<DbSnapshot> {
  const { Client } = require("pg") as typeof import("pg");
  const client = new Client({
    connectionString: connection,
    connectionTimeoutMillis: 10_000,
    statement_timeout: 300_000,
    application_name: "fleetgate-integrity",
  });
  await client.connect();
  try {
    await client.query("begin transaction isolation level repeatable read read only");
    const { rows } = await client.query<{ schema: string; name: string; kind: string; rls: boolean }>(
      `select n.nspname as schema, c.relname as name, c.relkind as kind, c.relrowsecurity as rls
         from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where c.relkind in ('r', 'p', 'v', 'm')
          and n.nspname not in ('pg_catalog', 'information_schema')
          and n.nspname not like 'pg\\_toast%' and n.nspname not like 'pg\\_temp%'`,
    );
    const qualified = (r: { schema: string; name: string }) => `${r.schema}.${r.name}`;
    const tables = rows
      .filter((r) => r.kind === "r" || r.kind === "p")
      .map(qualified)
      .sort();
    const views = rows
      .filter((r) => r.kind === "v" || r.kind === "m")
      .map(qualified)
      .sort();
    const rowLevelSecurity = rows
      .filter((r) => r.rls)
      .map(qualified)
      .sort();
    const rowCounts: Record<string, number> = {};
    for (const table of criticalTables.filter((t) => tables.includes(t))) {
      const [schema, name] = table.split(".");
      const res = await client.query<{ n: string }>(
        `select count(*)::text as n from ${ident(schema)}.${ident(name)}`,
      );
      rowCounts[table] = Number(res.rows[0].n);
    }
    await client.query("commit");
    return {
      engine: "postgres",
      tables,
      views,
      rowLevelSecurity,
      rowCounts,
      takenAt: new Date().toISOString(),
    };
  } finally {
    await client.end().catch(() => undefined);
  }
}
