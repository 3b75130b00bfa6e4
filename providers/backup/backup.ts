/**
 * Backup: a dynamic resource that takes a `pg_dump -Fc` of the database before a deploy that
 * touches it (the platform waits for it through `PlatformArgs.before`). It dumps on create and
 * whenever `revision` (see ./revision.ts) or the database changes; a failed dump fails the
 * update, so nothing is deployed without a fresh backup. Dumps outlive the resource: `delete`
 * leaves the files (they are the point), retention keeps the newest `keep` of this stack.
 * Type: `pulumi-nodejs:dynamic/checks:Backup`. Node modules are required inside functions (they
 * are serialized into the provider process).
 */
import * as pulumi from "@pulumi/pulumi";
import { LedgerContext, recordGateFailure } from "../../lib/ledger/context";
import { uploadBackup } from "../../lib/ledger/s3";
import { pgDump } from "./pgdump";

export interface BackupArgs {
  engine: pulumi.Input<"postgres">;
  /** Connection string; always stored as a Pulumi secret. */
  connection: pulumi.Input<string>;
  /** Absolute directory the dumps go to. */
  directory: pulumi.Input<string>;
  /** Stack name: prefix of the dump files and the scope of retention. */
  stack: pulumi.Input<string>;
  /** The database revision: a new one takes a new dump. */
  revision: pulumi.Input<string>;
  timeoutSeconds: pulumi.Input<number>;
  keep: pulumi.Input<number>;
  /** Where a failed backup is recorded and who is told (optional; secret: holds webhook URLs). */
  evidence?: pulumi.Input<LedgerContext>;
}

interface BackupInputs {
  engine: "postgres";
  connection: string;
  directory: string;
  stack: string;
  revision: string;
  timeoutSeconds: number;
  keep: number;
  evidence?: LedgerContext;
}

interface BackupOutputs extends BackupInputs {
  path: string;
  sizeBytes: number;
  takenAt: string;
  durationMs: number;
  /** s3:// URL of the uploaded copy (with gates.ledger.s3). */
  s3?: string;
}

/**
 * Fields whose change takes a new dump. `evidence` (the ledger context) changes with every fleet
 * revision and is not diffed: it only matters when a dump runs, and a dump always comes with a
 * change that delivers the current context.
 */
const DUMP_FIELDS = ["revision", "connection", "directory", "engine"] as const;

/** `<stack>-<UTC time>-<revision>.dump`: sorts by time within a stack. */
export function dumpFileName(stack: string, revision: string, at: Date): string {
  const stamp = at
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
  return `${stack}-${stamp}-${revision}.dump`;
}

/** Removes this stack's oldest dumps beyond `keep`; returns the removed file names. */
export function pruneDumps(directory: string, stack: string, keep: number): string[] {
  const fs = require("fs") as typeof import("fs");
  const path = require("path") as typeof import("path");
  const mine = fs
    .readdirSync(directory)
    .filter(
      (f) =>
        f.startsWith(`${stack}-`) && f.endsWith(".dump") && /^\d{8}T\d{6}Z-/.test(f.slice(stack.length + 1)),
    )
    .sort();
  const removed = mine.slice(0, Math.max(0, mine.length - keep));
  for (const f of removed) fs.rmSync(path.join(directory, f), { force: true });
  return removed;
}

/** Takes the dump; on failure records it in the ledger (when configured) and throws. */
export async function takeBackup(inputs: BackupInputs): Promise<BackupOutputs> {
  const path = require("path") as typeof import("path");
  const now = new Date();
  const file = path.join(inputs.directory, dumpFileName(inputs.stack, inputs.revision, now));
  try {
    const { sizeBytes, durationMs } = await pgDump(inputs.connection, file, inputs.timeoutSeconds * 1000);
    // With an S3 ledger (gates.ledger.s3) the dump goes to the bucket too: a CI runner's disk
    // is discarded with the runner. Not stored durably: nothing is deployed.
    const s3 = inputs.evidence?.s3 ? await uploadBackup(inputs.evidence.s3, inputs.stack, file) : undefined;
    pruneDumps(inputs.directory, inputs.stack, inputs.keep);
    return {
      ...inputs,
      path: file,
      sizeBytes,
      takenAt: now.toISOString(),
      durationMs,
      ...(s3 ? { s3 } : {}),
    };
  } catch (err) {
    const message = `${(err as Error).message}\n\nNothing was deployed: the deploy waits for a successful backup (gates.backup).`;
    throw new Error(await recordGateFailure(inputs.evidence, "backup", message));
  }
}

/** Refresh found the last dump gone: the deployed revision has no backup any more. */
const dumpMissing = (olds: Partial<BackupOutputs>) => Boolean(olds.path) && olds.sizeBytes === 0;

export const backupProvider: pulumi.dynamic.ResourceProvider = {
  async diff(_id: string, olds: BackupOutputs, news: BackupInputs): Promise<pulumi.dynamic.DiffResult> {
    const dump = DUMP_FIELDS.filter((f) => olds[f] !== news[f]);
    const other = (["stack", "timeoutSeconds", "keep"] as const).filter(
      (f) => JSON.stringify(olds[f]) !== JSON.stringify(news[f]),
    );
    return { changes: dump.length + other.length > 0 || dumpMissing(olds) };
  },
  async create(inputs: BackupInputs): Promise<pulumi.dynamic.CreateResult> {
    const outs = await takeBackup(inputs);
    return { id: `backup-${inputs.stack}`, outs };
  },
  async update(_id: string, olds: BackupOutputs, news: BackupInputs): Promise<pulumi.dynamic.UpdateResult> {
    const dump = DUMP_FIELDS.some((f) => olds[f] !== news[f]) || dumpMissing(olds);
    if (!dump) {
      return {
        outs: {
          ...news,
          path: olds.path,
          sizeBytes: olds.sizeBytes,
          takenAt: olds.takenAt,
          durationMs: olds.durationMs,
        },
      };
    }
    return { outs: await takeBackup(news) };
  },
  // Refresh shows a dump that was removed or changed behind fleetgate's back (a removed one
  // reads as size 0, and the next up takes a new dump).
  async read(id: string, props: BackupOutputs): Promise<pulumi.dynamic.ReadResult> {
    const fs = require("fs") as typeof import("fs");
    const sizeBytes = props.path && fs.existsSync(props.path) ? fs.statSync(props.path).size : 0;
    return { id, props: { ...props, sizeBytes } };
  },
  // Backups are kept when the resource goes: deleting them is a person's decision.
  async delete() {},
};

export class Backup extends pulumi.dynamic.Resource {
  /** Absolute path of the last dump. */
  declare public readonly path: pulumi.Output<string>;
  declare public readonly sizeBytes: pulumi.Output<number>;
  declare public readonly takenAt: pulumi.Output<string>;

  constructor(name: string, args: BackupArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      backupProvider,
      name,
      {
        ...args,
        connection: pulumi.secret(args.connection),
        evidence: args.evidence === undefined ? undefined : pulumi.secret(args.evidence),
        path: undefined,
        sizeBytes: undefined,
        takenAt: undefined,
        durationMs: undefined,
      },
      {
        ...opts,
        additionalSecretOutputs: ["connection", "evidence", ...(opts?.additionalSecretOutputs ?? [])],
      },
      "checks",
      "Backup",
    );
  }
}
