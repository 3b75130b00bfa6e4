/**
 * The data-integrity gate: a snapshot of the database before the deploy and a verify after it.
 */
import { z } from "zod";
import { durationMs, plainOrSecret, resourceName } from "./primitives";

/** A table name, optionally schema-qualified (`public.users`). */
const tableName = z
  .string()
  .regex(
    /^[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*)?$/,
    "must be a table name such as public.users",
  );

/**
 * A custom SQL check (docs/sql-checks.md): one query returning one row with one column, run in a
 * read-only transaction with a statement timeout after the deploy; its value must equal
 * `equals` or lie within `atLeast`/`atMost`.
 */
export const sqlCheckConfig = z
  .strictObject({
    /** Unique name of the check, for the result table. */
    name: resourceName,
    /** One statement returning exactly one row with one column (e.g. `select max(version) from schema_migrations`). */
    query: z
      .string()
      .trim()
      .min(1, "must be one SQL statement returning one value, such as select count(*) from jobs")
      .refine((q) => !/;\s*\S/.test(q), "must be a single statement (no ';' between statements)"),
    /** The value must equal this (compared as text when it is a string, as a number otherwise). */
    equals: z.union([z.string(), z.number(), z.boolean()]).optional(),
    /** Lower bound (inclusive) of a numeric value. */
    atLeast: z.number().optional(),
    /** Upper bound (inclusive) of a numeric value. */
    atMost: z.number().optional(),
    /** Statement timeout of this query. */
    timeoutMs: durationMs.default(5000),
  })
  .refine((c) => c.equals !== undefined || c.atLeast !== undefined || c.atMost !== undefined, {
    message: "needs an expected value: equals, atLeast or atMost",
  })
  .refine((c) => c.equals === undefined || (c.atLeast === undefined && c.atMost === undefined), {
    message: "takes either equals or a bound (atLeast/atMost), not both",
  });
export type SqlCheckConfig = z.infer<typeof sqlCheckConfig>;

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
  /** Custom SQL checks run after the deploy, in read-only transactions (docs/sql-checks.md). */
  sql: z
    .array(sqlCheckConfig)
    .default([])
    .superRefine((checks, ctx) => {
      const seen = new Set<string>();
      checks.forEach((c, i) => {
        if (seen.has(c.name)) {
          ctx.addIssue({
            code: "custom",
            path: [i, "name"],
            message: `sql check name "${c.name}" is used twice; give every check its own name`,
          });
        }
        seen.add(c.name);
      });
    }),
});
export type IntegrityConfig = z.infer<typeof integrityConfig>;
