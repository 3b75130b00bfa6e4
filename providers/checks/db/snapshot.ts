/**
 * What an integrity snapshot records, and how a later one is compared with it. Pure functions:
 * the verify provider and the tests use them, the database adapters produce the snapshots.
 */

export interface DbSnapshot {
  engine: "postgres" | "duckdb";
  /** User tables, schema-qualified (`public.users`), sorted. */
  tables: string[];
  /** User views, schema-qualified, sorted. */
  views: string[];
  /** Tables with row-level security enabled (PostgreSQL only). */
  rowLevelSecurity: string[];
  /** Exact row counts of the critical tables that exist. */
  rowCounts: Record<string, number>;
  takenAt: string;
}

export interface SchemaExpectations {
  tables?: string[];
  views?: string[];
  rowLevelSecurity?: string[];
}

/** `users` → `public.users` (PostgreSQL) or `main.users` (DuckDB); qualified names stay. */
export function qualifyTable(name: string, engine: DbSnapshot["engine"]): string {
  return name.includes(".") ? name : `${engine === "postgres" ? "public" : "main"}.${name}`;
}

/**
 * Data lost between two snapshots: tables gone and critical tables with fewer rows, except
 * tables on the allow-list (an expand/contract migration that drops or shrinks them on purpose).
 */
export function dataLoss(before: DbSnapshot, after: DbSnapshot, allowDrops: string[] = []): string[] {
  const allowed = new Set(allowDrops.map((t) => qualifyTable(t, before.engine)));
  const now = new Set(after.tables);
  const problems: string[] = [];
  const missing = before.tables.filter((t) => !now.has(t) && !allowed.has(t));
  if (missing.length) problems.push(`missing tables: ${missing.join(", ")}`);
  for (const [table, rows] of Object.entries(before.rowCounts)) {
    if (allowed.has(table) || !now.has(table)) continue;
    const rowsNow = after.rowCounts[table];
    if (rowsNow !== undefined && rowsNow < rows) {
      problems.push(`${table}: ${rows} → ${rowsNow} rows (${rows - rowsNow} lost)`);
    }
  }
  return problems;
}

/** Tables, views and row-level security the config expects but the database lacks. */
export function unmetExpectations(after: DbSnapshot, expect: SchemaExpectations = {}): string[] {
  const q = (names: string[] = []) => names.map((t) => qualifyTable(t, after.engine));
  const lacking = (want: string[], have: string[]) => want.filter((t) => !have.includes(t));
  const problems: string[] = [];
  const tables = lacking(q(expect.tables), after.tables);
  const views = lacking(q(expect.views), after.views);
  const rls = lacking(q(expect.rowLevelSecurity), after.rowLevelSecurity);
  if (tables.length) problems.push(`expected tables missing: ${tables.join(", ")}`);
  if (views.length) problems.push(`expected views missing: ${views.join(", ")}`);
  if (rls.length) problems.push(`row-level security not enabled on: ${rls.join(", ")}`);
  return problems;
}
