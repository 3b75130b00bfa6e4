/**
 * PostDeployWatch: after the smoke suite, samples every watched service's health URL at an
 * interval for a bounded window and compares error rate and p95 latency with the pre-deploy
 * baseline (WatchBaseline) and the absolute thresholds. Over threshold, it rolls the offending
 * services back (when configured and the platform can), records the failure in the ledger and
 * fails the update with the figures. A window that can no longer end under the error-rate
 * threshold stops early. Runs on create and when the revision or the targets change.
 * Type: `pulumi-nodejs:dynamic/checks:PostDeployWatch`.
 */
import * as pulumi from "@pulumi/pulumi";
import type { RollbackTarget } from "../../components/platform";
import { GateRollback, LedgerContext, recordGateFailure } from "../../lib/ledger/context";
import type { RecordedWatch } from "../../lib/ledger/record";
import { describeRollback, rollbackFailedServices, RollbackFn } from "../checks/rollback";
import { sampleWindow, WatchTarget } from "./sample";
import { Figures, figuresOf, formatWatchTable, overThreshold, Thresholds, WatchRow } from "./stats";

export interface PostDeployWatchArgs {
  targets: pulumi.Input<pulumi.Input<WatchTarget>[]>;
  /** The fleet revision: a new one runs a new window. */
  revision: pulumi.Input<string>;
  /** Figures per service before the deploy (WatchBaseline.figures). */
  baseline?: pulumi.Input<Record<string, Figures>>;
  windowSeconds: pulumi.Input<number>;
  intervalSeconds: pulumi.Input<number>;
  requestTimeoutMs: pulumi.Input<number>;
  thresholds: pulumi.Input<Thresholds>;
  rollback: pulumi.Input<boolean>;
  /** How to roll each service back, by service name. */
  rollbackTargets?: pulumi.Input<Record<string, pulumi.Input<RollbackTarget>>>;
  /** Where a failed watch is recorded and who is told (secret: holds webhook URLs). */
  evidence?: pulumi.Input<LedgerContext>;
}

interface WatchInputs {
  targets: WatchTarget[];
  revision: string;
  baseline?: Record<string, Figures>;
  windowSeconds: number;
  intervalSeconds: number;
  requestTimeoutMs: number;
  thresholds: Thresholds;
  rollback: boolean;
  rollbackTargets?: Record<string, RollbackTarget>;
  evidence?: LedgerContext;
}

interface WatchOutputs extends WatchInputs {
  /** What the window saw, per service (the ledger's `watch` field). */
  figures: RecordedWatch[];
  table: string;
  watchedAt: string;
}

/** Fields whose change runs a new window; the rest (rollback targets, evidence) do not. */
const RERUN = ["revision", "targets", "windowSeconds", "intervalSeconds", "thresholds"] as const;
export function watchChanges(olds: Partial<WatchInputs>, news: WatchInputs): string[] {
  return RERUN.filter((f) => JSON.stringify(olds[f]) !== JSON.stringify(news[f]));
}

/** Runs the window; throws with the figures (and any rollback) when a service is over threshold. */
export async function runWatch(
  inputs: WatchInputs,
  rollback: RollbackFn,
  config?: pulumi.dynamic.Config,
): Promise<WatchOutputs> {
  const samples = await sampleWindow(inputs.targets, {
    windowMs: inputs.windowSeconds * 1000,
    intervalMs: inputs.intervalSeconds * 1000,
    timeoutMs: inputs.requestTimeoutMs,
    maxErrorRatePercent: inputs.thresholds.maxErrorRatePercent,
  });
  const rows: WatchRow[] = inputs.targets.map((t) => {
    const window = figuresOf(samples[t.service] ?? []);
    const baseline = inputs.baseline?.[t.service];
    return {
      service: t.service,
      window,
      baseline,
      reasons: overThreshold(window, baseline, inputs.thresholds),
    };
  });
  const table = formatWatchTable(rows);
  const figures: RecordedWatch[] = rows.map((r) => ({
    service: r.service,
    samples: r.window.samples,
    errorRatePercent: r.window.errorRatePercent,
    p95Ms: r.window.p95Ms ?? -1,
    ...(r.baseline?.p95Ms !== undefined ? { baselineP95Ms: r.baseline.p95Ms } : {}),
    verdict: r.reasons.length ? "over-threshold" : "ok",
    ...(r.reasons.length ? { reason: r.reasons.join("; ") } : {}),
  }));
  const over = rows.filter((r) => r.reasons.length);
  if (!over.length) return { ...inputs, figures, table, watchedAt: new Date().toISOString() };

  let message = `post-deploy watch failed: ${over.map((r) => `${r.service} (${r.reasons.join("; ")})`).join(", ")}\n\n${table}`;
  let rolledBack: string[] = [];
  let restored: GateRollback | undefined;
  if (inputs.rollback) {
    const failed = over.map((r) => ({
      check: "watch",
      target: r.service,
      kind: "http" as const,
      status: "fail" as const,
      latencyMs: 0,
      reason: "",
    }));
    const outcome = await rollbackFailedServices(failed, inputs.rollbackTargets ?? {}, rollback, config);
    rolledBack = [...outcome.rolledBack, ...outcome.problems];
    restored = { liveImages: outcome.liveImages, incomplete: outcome.problems.length > 0 };
    message += `\n\n${describeRollback(outcome)}`;
  } else {
    message += "\n\nNothing was rolled back (gates.watch.rollback is false).";
  }
  // A rollback records itself: `rolled-back`, with the images live again (lib/ledger/context.ts).
  throw new Error(
    await recordGateFailure(
      inputs.evidence,
      "watch",
      message,
      { watch: figures, rollback: rolledBack },
      restored,
    ),
  );
}

/** The dynamic provider; `rollback` is the platform's rollback (injected, serialized with it). */
export function watchProvider(rollback: RollbackFn): pulumi.dynamic.ResourceProvider {
  const provider = {
    config: undefined as pulumi.dynamic.Config | undefined,
    async configure(req: pulumi.dynamic.ConfigureRequest) {
      provider.config = req.config;
    },
    async diff(_id: string, olds: WatchOutputs, news: WatchInputs): Promise<pulumi.dynamic.DiffResult> {
      const other = (
        ["baseline", "requestTimeoutMs", "rollback", "rollbackTargets", "evidence"] as const
      ).some((f) => JSON.stringify(olds[f]) !== JSON.stringify(news[f]));
      return { changes: watchChanges(olds, news).length > 0 || other };
    },
    async create(inputs: WatchInputs): Promise<pulumi.dynamic.CreateResult> {
      return {
        id: `watch-${Date.now().toString(36)}`,
        outs: await runWatch(inputs, rollback, provider.config),
      };
    },
    async update(_id: string, olds: WatchOutputs, news: WatchInputs): Promise<pulumi.dynamic.UpdateResult> {
      if (watchChanges(olds, news).length === 0) {
        return { outs: { ...news, figures: olds.figures, table: olds.table, watchedAt: olds.watchedAt } };
      }
      return { outs: await runWatch(news, rollback, provider.config) };
    },
    // A watch is a record of a window: nothing remote to read back or delete.
    async read(id: string, props: WatchOutputs): Promise<pulumi.dynamic.ReadResult> {
      return { id, props };
    },
    async delete() {},
  };
  return provider;
}

export class PostDeployWatch extends pulumi.dynamic.Resource {
  declare public readonly figures: pulumi.Output<RecordedWatch[]>;
  declare public readonly table: pulumi.Output<string>;
  declare public readonly watchedAt: pulumi.Output<string>;

  constructor(
    name: string,
    args: PostDeployWatchArgs,
    rollback: RollbackFn,
    opts?: pulumi.CustomResourceOptions,
  ) {
    super(
      watchProvider(rollback),
      name,
      {
        ...args,
        evidence: args.evidence === undefined ? undefined : pulumi.secret(args.evidence),
        figures: undefined,
        table: undefined,
        watchedAt: undefined,
      },
      { ...opts, additionalSecretOutputs: ["evidence", ...(opts?.additionalSecretOutputs ?? [])] },
      "checks",
      "PostDeployWatch",
    );
  }
}
