/**
 * The data-integrity gate as two dynamic resources:
 * - IntegritySnapshot (pre-deploy) records the tables and the critical tables' row counts;
 *   it re-runs when the fleet revision changes.
 * - IntegrityVerify (post-deploy) takes a new snapshot and fails the update with
 *   `DATA LOSS DETECTED` when a table is gone or a critical table lost rows (unless allowed),
 *   and when a table, view or row-level security the config expects is missing.
 * Both fail closed: a database that cannot be read stops the update. Connection strings are
 * secrets. Types: `pulumi-nodejs:dynamic/checks:IntegritySnapshot` / `:IntegrityVerify`.
 */
import * as pulumi from "@pulumi/pulumi";
import { LedgerContext, recordGateFailure } from "../../lib/ledger/context";
import { snapshotDuckdb } from "./db/duckdb";
import { snapshotPostgres } from "./db/postgres";
import { dataLoss, DbSnapshot, qualifyTable, SchemaExpectations, unmetExpectations } from "./db/snapshot";
import type { SqlCheck, SqlCheckResult } from "./db/sqlExpect";
import { runSqlGate } from "./sqlGate";

export type IntegrityEngine = DbSnapshot["engine"];

interface SnapshotState {
  engine: IntegrityEngine;
  connection: string;
  criticalTables: string[];
  revision: string;
}

interface VerifyState extends SnapshotState {
  before: DbSnapshot;
  allowDrops: string[];
  expect: SchemaExpectations;
  /** Where a failed verify is recorded (the evidence ledger); a secret input. */
  evidence?: LedgerContext;
  /** Custom SQL checks run after the snapshot (providers/checks/sqlGate.ts). */
  sql?: SqlCheck[];
}

/** Removes the connection string and its password from a driver's message. */
export function redactConnection(message: string, connection: string): string {
  let out = message.split(connection).join("<connection>");
  try {
    const password = decodeURIComponent(new URL(connection).password);
    if (password) out = out.split(password).join("***");
  } catch {
    // Not a URL (a DuckDB path or a key=value string): nothing more to hide.
  }
  return out;
}

/** Takes a snapshot; any failure becomes a fail-closed error that names the fix, never the secret. */
export async function takeSnapshot(state: SnapshotState, step: string): Promise<DbSnapshot> {
  const critical = state.criticalTables.map((t) => qualifyTable(t, state.engine));
  try {
    return state.engine === "postgres"
      ? await snapshotPostgres(state.connection, critical)
      : await snapshotDuckdb(state.connection, critical);
  } catch (err) {
    const e = err as { code?: string; message?: string };
    const reason = redactConnection(
      `${e.code ? `${e.code}: ` : ""}${e.message ?? String(err)}`,
      state.connection,
    );
    throw new Error(
      `integrity ${step}: cannot read the ${state.engine} database (${reason}). The update stops here ` +
        "because data safety cannot be checked: make gates.integrity.connection reachable from this " +
        "machine, or remove gates.integrity to deploy without the gate.",
    );
  }
}

const canon = (v: unknown) => JSON.stringify(v ?? null);

function changed<T extends object>(olds: Partial<T>, news: Partial<T>, fields: (keyof T)[]): boolean {
  return fields.some((f) => canon(olds[f]) !== canon(news[f]));
}

const SNAPSHOT_FIELDS: (keyof SnapshotState)[] = ["engine", "connection", "criticalTables", "revision"];

export const integritySnapshotProvider: pulumi.dynamic.ResourceProvider = {
  async diff(_id: string, olds: SnapshotState, news: SnapshotState) {
    return { changes: changed(olds, news, SNAPSHOT_FIELDS) };
  },
  async create(inputs: SnapshotState) {
    const snapshot = await takeSnapshot(inputs, "snapshot");
    return { id: `snapshot-${Date.now().toString(36)}`, outs: { ...inputs, snapshot } };
  },
  async update(_id: string, _olds: SnapshotState, news: SnapshotState) {
    return { outs: { ...news, snapshot: await takeSnapshot(news, "snapshot") } };
  },
  // A snapshot is a record of a moment: refresh keeps it, delete has nothing remote to remove.
  async read(id: string, props: SnapshotState) {
    return { id, props };
  },
  async delete() {},
};

/** Compares a fresh snapshot with `before`; throws with every problem found. */
export async function verifyIntegrity(
  state: VerifyState,
): Promise<{ after: DbSnapshot; problems: string[]; sqlResults: SqlCheckResult[] }> {
  try {
    return await compareWithSnapshot(state);
  } catch (err) {
    // A failed resource stops the update before the EvidenceRecord: record the failure here.
    throw new Error(await recordGateFailure(state.evidence, "integrity", (err as Error).message));
  }
}

async function compareWithSnapshot(
  state: VerifyState,
): Promise<{ after: DbSnapshot; problems: string[]; sqlResults: SqlCheckResult[] }> {
  const after = await takeSnapshot(state, "verify");
  const sql = await runSqlGate(state.engine, state.connection, state.sql, (m) =>
    redactConnection(m, state.connection),
  );
  const loss = dataLoss(state.before, after, state.allowDrops);
  const unmet = unmetExpectations(after, state.expect);
  if (loss.length) {
    const more =
      (unmet.length ? `\nAlso: ${unmet.join("; ")}` : "") + (sql.failure ? `\nAlso: ${sql.failure}` : "");
    throw new Error(
      `DATA LOSS DETECTED in the ${state.engine} database since the pre-deploy snapshot (${state.before.takenAt}):\n` +
        loss.map((p) => `  - ${p}`).join("\n") +
        more +
        "\nIf a migration drops or shrinks these on purpose, list them in gates.integrity.allowDrops.",
    );
  }
  if (unmet.length) {
    throw new Error(
      `integrity verify: the ${state.engine} database does not match gates.integrity.expect:\n` +
        unmet.map((p) => `  - ${p}`).join("\n") +
        (sql.failure ? `\n${sql.failure}` : ""),
    );
  }
  if (sql.failure) throw new Error(sql.failure);
  return { after, problems: [], sqlResults: sql.results };
}

const VERIFY_FIELDS: (keyof VerifyState)[] = [...SNAPSHOT_FIELDS, "before", "allowDrops", "expect", "sql"];

export const integrityVerifyProvider: pulumi.dynamic.ResourceProvider = {
  async diff(_id: string, olds: VerifyState, news: VerifyState) {
    return { changes: changed(olds, news, VERIFY_FIELDS) };
  },
  async create(inputs: VerifyState) {
    const result = await verifyIntegrity(inputs);
    return { id: `verify-${Date.now().toString(36)}`, outs: { ...inputs, ...result } };
  },
  async update(_id: string, _olds: VerifyState, news: VerifyState) {
    return { outs: { ...news, ...(await verifyIntegrity(news)) } };
  },
  async read(id: string, props: VerifyState) {
    return { id, props };
  },
  async delete() {},
};

export interface IntegritySnapshotArgs {
  engine: pulumi.Input<IntegrityEngine>;
  /** PostgreSQL connection string or DuckDB file path; stored as a secret. */
  connection: pulumi.Input<string>;
  criticalTables: pulumi.Input<string[]>;
  /** The fleet revision: a new revision takes a new snapshot. */
  revision: pulumi.Input<string>;
}

export class IntegritySnapshot extends pulumi.dynamic.Resource {
  declare public readonly snapshot: pulumi.Output<DbSnapshot>;

  constructor(name: string, args: IntegritySnapshotArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      integritySnapshotProvider,
      name,
      { ...args, connection: pulumi.secret(args.connection), snapshot: undefined },
      { ...opts, additionalSecretOutputs: ["connection", ...(opts?.additionalSecretOutputs ?? [])] },
      "checks",
      "IntegritySnapshot",
    );
  }
}

export interface IntegrityVerifyArgs extends IntegritySnapshotArgs {
  /** The pre-deploy snapshot (IntegritySnapshot.snapshot). */
  before: pulumi.Input<DbSnapshot>;
  /** Tables a migration may drop or shrink on purpose. */
  allowDrops?: pulumi.Input<string[]>;
  expect?: pulumi.Input<SchemaExpectations>;
  /** Where a failed verify is recorded and who is told (the evidence ledger); stored as a secret. */
  evidence?: pulumi.Input<LedgerContext>;
  /** Custom SQL checks (gates.integrity.sql), run in read-only transactions after the snapshot. */
  sql?: pulumi.Input<SqlCheck[]>;
}

export class IntegrityVerify extends pulumi.dynamic.Resource {
  declare public readonly after: pulumi.Output<DbSnapshot>;
  declare public readonly problems: pulumi.Output<string[]>;
  /** Results of the custom SQL checks (empty without any). */
  declare public readonly sqlResults: pulumi.Output<SqlCheckResult[]>;

  constructor(name: string, args: IntegrityVerifyArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      integrityVerifyProvider,
      name,
      {
        ...args,
        connection: pulumi.secret(args.connection),
        allowDrops: args.allowDrops ?? [],
        expect: args.expect ?? {},
        evidence: args.evidence === undefined ? undefined : pulumi.secret(args.evidence),
        // No checks: no field, so stacks from before `sql` existed see no change.
        sql: pulumi.output(args.sql).apply((s) => (s?.length ? s : undefined)),
        after: undefined,
        problems: undefined,
        sqlResults: undefined,
      },
      {
        ...opts,
        additionalSecretOutputs: ["connection", "evidence", ...(opts?.additionalSecretOutputs ?? [])],
      },
      "checks",
      "IntegrityVerify",
    );
  }
}
