/**
 * RestoreDrill: the backup gate's proof that its dump restores (docs/restore-drills.md). A
 * dynamic resource that restores the Backup's newest dump into a scratch database, compares it
 * with the source and drops the scratch database (./restore.ts). It runs on create and whenever
 * the dump changes; a dump that does not restore, or restores short of the source, fails the
 * update before any service changes (the platform waits for it like for the Backup). Connection
 * strings are secrets. Type: `pulumi-nodejs:dynamic/checks:RestoreDrill`.
 */
import * as pulumi from "@pulumi/pulumi";
import { LedgerContext, recordGateFailure } from "../../lib/ledger/context";
import { restoreDrill, RestoreDrillInputs, RestoreDrillResult } from "./restore";

export interface RestoreDrillArgs {
  /** The database the dump was taken of; stored as a secret. */
  source: pulumi.Input<string>;
  /** Server for the scratch database (default: the source's server, database `postgres`); a secret. */
  scratchServer?: pulumi.Input<string>;
  /** The dump to restore (Backup.path): a new dump runs a new drill. */
  dumpPath: pulumi.Input<string>;
  criticalTables: pulumi.Input<string[]>;
  rowTolerancePercent: pulumi.Input<number>;
  timeoutSeconds: pulumi.Input<number>;
  /** Where a failed drill is recorded and who is told (secret: holds webhook URLs). */
  evidence?: pulumi.Input<LedgerContext>;
}

interface DrillState extends RestoreDrillInputs {
  evidence?: LedgerContext;
}

type DrillOutputs = DrillState & Omit<RestoreDrillResult, "restored" | "source"> & { restoredTables: number };

/** Fields whose change runs a new drill (the evidence context changes with every revision). */
const DRILL_FIELDS = [
  "dumpPath",
  "source",
  "scratchServer",
  "criticalTables",
  "rowTolerancePercent",
] as const;

async function drill(inputs: DrillState): Promise<DrillOutputs> {
  const { evidence: _e, ...drillInputs } = inputs;
  const result = await restoreDrill(drillInputs);
  if (result.outcome !== "restored") {
    const message =
      `restore drill failed for ${result.dumpPath}:\n` +
      result.problems.map((p) => `  - ${p}`).join("\n") +
      "\n\nNothing was deployed: the backup this deploy would fall back on does not restore (gates.backup.restoreDrill).";
    throw new Error(await recordGateFailure(inputs.evidence, "restore-drill", message));
  }
  const { restored, source: _s, ...rest } = result;
  return { ...inputs, ...rest, restoredTables: restored?.tables.length ?? 0 };
}

export const restoreDrillProvider: pulumi.dynamic.ResourceProvider = {
  async diff(_id: string, olds: DrillOutputs, news: DrillState): Promise<pulumi.dynamic.DiffResult> {
    const changed = DRILL_FIELDS.filter((f) => JSON.stringify(olds[f]) !== JSON.stringify(news[f]));
    const other = olds.timeoutSeconds !== news.timeoutSeconds;
    return { changes: changed.length > 0 || other };
  },
  async create(inputs: DrillState): Promise<pulumi.dynamic.CreateResult> {
    return { id: `drill-${Date.now().toString(36)}`, outs: await drill(inputs) };
  },
  async update(_id: string, olds: DrillOutputs, news: DrillState): Promise<pulumi.dynamic.UpdateResult> {
    if (DRILL_FIELDS.every((f) => JSON.stringify(olds[f]) === JSON.stringify(news[f]))) {
      const { evidence: _e, timeoutSeconds: _t, ...kept } = olds;
      return { outs: { ...kept, timeoutSeconds: news.timeoutSeconds, evidence: news.evidence } };
    }
    return { outs: await drill(news) };
  },
  // A drill is a record of a moment; the scratch database is gone already.
  async read(id: string, props: DrillOutputs): Promise<pulumi.dynamic.ReadResult> {
    return { id, props };
  },
  async delete() {},
};

export class RestoreDrill extends pulumi.dynamic.Resource {
  declare public readonly outcome: pulumi.Output<"restored" | "failed">;
  declare public readonly problems: pulumi.Output<string[]>;
  declare public readonly restoredTables: pulumi.Output<number>;
  declare public readonly durationMs: pulumi.Output<number>;

  constructor(name: string, args: RestoreDrillArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      restoreDrillProvider,
      name,
      {
        ...args,
        source: pulumi.secret(args.source),
        scratchServer: args.scratchServer === undefined ? undefined : pulumi.secret(args.scratchServer),
        evidence: args.evidence === undefined ? undefined : pulumi.secret(args.evidence),
        outcome: undefined,
        problems: undefined,
        restoredTables: undefined,
        durationMs: undefined,
        scratchDatabase: undefined,
        at: undefined,
      },
      {
        ...opts,
        additionalSecretOutputs: [
          "source",
          "scratchServer",
          "evidence",
          ...(opts?.additionalSecretOutputs ?? []),
        ],
      },
      "checks",
      "RestoreDrill",
    );
  }
}
