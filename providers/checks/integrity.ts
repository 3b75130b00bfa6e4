/**
 * The data-integrity gate as two dynamic resources (docs/gates.md, "Triggers"):
 * - IntegritySnapshot (pre-deploy) records the tables and the critical tables' row counts. It
 *   is retaken when anything declared that shapes what runs changes (`revision`, and `deployKey`:
 *   a secret hash that also covers env values and resolved images), or its own definition.
 * - IntegrityVerify (post-deploy) re-runs when a deploy of any service happened (`deployments`)
 *   or its definition or the snapshot changed. It takes a new snapshot and fails the update with
 *   `DATA LOSS DETECTED` when a table is gone or a critical table lost rows (unless allowed),
 *   and when a table, view or row-level security the config expects is missing, or a critical
 *   table exists neither before nor after the deploy (a misspelled name). Its `baseline`
 *   says whether the snapshot was taken in this update or is an older one (a redeploy that no
 *   declared change caused, e.g. after a crash or a rollback, does not retake it).
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
  /** Secret hash of everything declared that shapes the running services (see gates.ts). */
  deployKey?: string;
}

interface VerifyState extends SnapshotState {
  /** `<service>: <deployment>` of every service: a new deploy re-runs the verify. */
  deployments?: Record<string, string>;
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
  let snap: DbSnapshot;
  try {
    snap =
      state.engine === "postgres"
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
  return snap;
}

const canon = (v: unknown) => JSON.stringify(v ?? null);

function changed<T extends object>(olds: Partial<T>, news: Partial<T>, fields: (keyof T)[]): boolean {
  return fields.some((f) => canon(olds[f]) !== canon(news[f]));
}

const SNAPSHOT_FIELDS: (keyof SnapshotState)[] = [
  "engine",
  "connection",
  "criticalTables",
  "revision",
  "deployKey",
];

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

/**
 * What the verify compared with: the snapshot of this update, or an older one (`previousBefore`
 * is the snapshot the last verify used: the same one means no snapshot was taken since).
 */
export function describeBaseline(before: DbSnapshot, previousBefore?: DbSnapshot): string {
  if (previousBefore && previousBefore.takenAt === before.takenAt) {
    return (
      `STALE BASELINE: compared with the snapshot of ${before.takenAt}, which an earlier update took; ` +
      "this redeploy had no declared change (a live-check correction after a crash, a rollback or " +
      "an outside restart), so no snapshot was taken before it. Rows removed since then count as loss."
    );
  }
  return `compared with the pre-deploy snapshot of ${before.takenAt}`;
}

/** Compares a fresh snapshot with `before`; throws with every problem found. */
export async function verifyIntegrity(
  state: VerifyState,
  previousBefore?: DbSnapshot,
): Promise<{ after: DbSnapshot; problems: string[]; sqlResults: SqlCheckResult[]; baseline: string }> {
  const baseline = describeBaseline(state.before, previousBefore);
  try {
    return { ...(await compareWithSnapshot(state)), baseline };
  } catch (err) {
    // A failed resource stops the update before the EvidenceRecord: record the failure here.
    const message = `${(err as Error).message}\n(${baseline})`;
    throw new Error(
      await recordGateFailure(state.evidence, "integrity", message, { deployments: state.deployments }),
    );
  }
}

/**
 * Critical tables that exist neither before nor after the deploy: a misspelled or missing name
 * would silently disable its row-count check. (Before the first deploy a table may not exist yet:
 * the deploy's migrations create it; one that existed before and is gone is data loss.)
 */
export function missingCriticalTables(state: VerifyState, after: DbSnapshot): string | undefined {
  const critical = state.criticalTables.map((t) => qualifyTable(t, state.engine));
  const missing = critical.filter((t) => !after.tables.includes(t) && !state.before.tables.includes(t));
  if (!missing.length) return undefined;
  const shown = after.tables.slice(0, 20).join(", ") + (after.tables.length > 20 ? ", ..." : "");
  return (
    `gates.integrity.criticalTables: ${missing.map((t) => `table "${t}"`).join(", ")} does not exist in ` +
    `the ${state.engine} database (not before the deploy and not after it), so its rows cannot be ` +
    `counted; fix the name (schema-qualified, e.g. public.users) or remove it. Tables found: ${shown || "none"}.`
  );
}

async function compareWithSnapshot(
  state: VerifyState,
): Promise<{ after: DbSnapshot; problems: string[]; sqlResults: SqlCheckResult[] }> {
  const after = await takeSnapshot(state, "verify");
  const misnamed = missingCriticalTables(state, after);
  if (misnamed) throw new Error(misnamed);
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

/** The verify re-runs on a deploy (`deployments`) or a new snapshot, not on the revision alone. */
const VERIFY_FIELDS: (keyof VerifyState)[] = [
  "engine",
  "connection",
  "criticalTables",
  "deployments",
  "before",
  "allowDrops",
  "expect",
  "sql",
];

export const integrityVerifyProvider: pulumi.dynamic.ResourceProvider = {
  async diff(_id: string, olds: VerifyState, news: VerifyState) {
    return { changes: changed(olds, news, VERIFY_FIELDS) };
  },
  async create(inputs: VerifyState) {
    const result = await verifyIntegrity(inputs);
    return { id: `verify-${Date.now().toString(36)}`, outs: { ...inputs, ...result } };
  },
  async update(_id: string, olds: VerifyState, news: VerifyState) {
    return { outs: { ...news, ...(await verifyIntegrity(news, olds.before)) } };
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
  /** Secret hash of the declared deploy inputs (env values included): a change retakes it. */
  deployKey?: pulumi.Input<string>;
}

export class IntegritySnapshot extends pulumi.dynamic.Resource {
  declare public readonly snapshot: pulumi.Output<DbSnapshot>;

  constructor(name: string, args: IntegritySnapshotArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      integritySnapshotProvider,
      name,
      {
        ...args,
        connection: pulumi.secret(args.connection),
        deployKey: args.deployKey === undefined ? undefined : pulumi.secret(args.deployKey),
        snapshot: undefined,
      },
      {
        ...opts,
        additionalSecretOutputs: ["connection", "deployKey", ...(opts?.additionalSecretOutputs ?? [])],
      },
      "checks",
      "IntegritySnapshot",
    );
  }
}

export interface IntegrityVerifyArgs extends Omit<IntegritySnapshotArgs, "deployKey"> {
  /** `<service>: <deployment>` of every service (DeployedService.deployment). */
  deployments?: pulumi.Input<Record<string, pulumi.Input<string>>>;
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
  /** What the verify compared with; starts with `STALE BASELINE` for an older snapshot. */
  declare public readonly baseline: pulumi.Output<string>;

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
        baseline: undefined,
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
