/**
 * The data-integrity gate: a snapshot of the database before the deploy and a verify after it.
 */
import { z } from "zod";
import { plainOrSecret } from "./primitives";

/** A table name, optionally schema-qualified (`public.users`). */
const tableName = z
  .string()
  .regex(
    /^[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*)?$/,
    "must be a table name such as public.users",
  );

export const integrityConfig = z.strictObject({
  engine: z.enum(["postgres", "duckdb"], { error: 'must be "postgres" or "duckdb"' }),
  /**
   * PostgreSQL connection string (a secret reference), or the DuckDB file path. A plain
   * postgres:// string that carries a password is refused by the cross-field checks.
   */
  connection: plainOrSecret,
  /** Tables whose exact row count must not drop. */
  criticalTables: z.array(tableName).default([]),
  /** Tables an expand/contract migration is allowed to drop (or shrink). */
  allowDrops: z.array(tableName).default([]),
  /** Tables and views that must exist after the deploy; tables that must have row-level security. */
  expect: z
    .strictObject({
      tables: z.array(tableName).default([]),
      views: z.array(tableName).default([]),
      rowLevelSecurity: z.array(tableName).default([]),
    })
    .optional(),
});
export type IntegrityConfig = z.infer<typeof integrityConfig>;
