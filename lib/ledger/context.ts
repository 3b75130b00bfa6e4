/**
 * What a deploy gate needs to write evidence on its own: where the ledger is, what is being
 * deployed and who to tell. Gates that fail record a `failed` deploy record and notify before
 * they throw, because a failed resource stops the update before the EvidenceRecord runs.
 */
import { appendRecord } from "./file";
import { notify, Webhook } from "./notify";
import type { DeployRecord } from "./record";
import { appendS3Record, S3LedgerTarget } from "./s3";

export interface LedgerContext {
  /** Absolute path of the JSON Lines file. */
  file: string;
  stack: string;
  fleet: string;
  environment: string;
  revision: string;
  images: Record<string, string>;
  /** Where each image came from (release input, promoted stack, resolved tag; docs/release.md). */
  imageSources?: Record<string, string>;
  /** Chat webhooks (secret: the URLs are credentials). */
  webhooks: Webhook[];
  notifyTimeoutMs: number;
  freezeOverride?: string;
  /** Also (and for readers, instead) the S3 ledger (gates.ledger.s3; lib/ledger/s3.ts). */
  s3?: S3LedgerTarget;
}

/** The deploy record of this context with the given outcome and details. */
export function deployRecord(
  ctx: LedgerContext,
  details: Pick<DeployRecord, "outcome" | "checks" | "rollback"> & Partial<DeployRecord>,
): DeployRecord {
  return {
    kind: "deploy",
    time: new Date().toISOString(),
    stack: ctx.stack,
    environment: ctx.environment,
    fleet: ctx.fleet,
    revision: ctx.revision,
    images: ctx.images,
    ...(ctx.imageSources ? { imageSources: ctx.imageSources } : {}),
    ...(ctx.freezeOverride ? { freezeOverride: ctx.freezeOverride } : {}),
    ...details,
  };
}

/**
 * Appends the record and sends the notifications. Returns the JSON line and any notification
 * problems; a ledger that cannot be written throws (evidence is part of the deploy's contract).
 */
export async function recordAndNotify(
  ctx: LedgerContext,
  rec: DeployRecord,
): Promise<{ line: string; problems: string[] }> {
  const line = appendRecord(ctx.file, rec);
  // The bucket is the durable copy: a CI runner's file is discarded with the runner.
  if (ctx.s3) await appendS3Record(ctx.s3, ctx.stack, rec);
  const problems = ctx.webhooks.length ? await notify(ctx.webhooks, rec, ctx.notifyTimeoutMs) : [];
  return { line, problems };
}

/** What a gate that rolled services back knows: per service, the image live again. */
export interface GateRollback {
  liveImages: Record<string, string>;
  /** True when some failed service could not be rolled back (the record stays `failed`). */
  incomplete: boolean;
}

/**
 * Records a failed gate (best effort: the gate's own error is what the user must see, so a
 * ledger problem is appended to the message instead of replacing it). With `rolledBack`, the
 * record is `rolled-back` (when every failed service was rolled back) and names the images that
 * are live again, never the declared ones as if they ran.
 */
export async function recordGateFailure(
  ctx: LedgerContext | undefined,
  gate: string,
  message: string,
  details: Partial<DeployRecord> = {},
  rolledBack?: GateRollback,
): Promise<string> {
  if (!ctx) return message;
  try {
    const restored = rolledBack && Object.keys(rolledBack.liveImages).length > 0;
    const rec = deployRecord(ctx, {
      outcome: restored && !rolledBack!.incomplete ? "rolled-back" : "failed",
      checks: [],
      rollback: [],
      ...details,
      ...(restored
        ? { images: { ...ctx.images, ...rolledBack!.liveImages }, declaredImages: ctx.images }
        : {}),
      failure: { gate, message },
    });
    const { problems } = await recordAndNotify(ctx, rec);
    return problems.length ? `${message}\n\nNotifications not delivered: ${problems.join("; ")}` : message;
  } catch (err) {
    return `${message}\n\n(the failure could not be written to the ledger ${ctx.file}: ${(err as Error).message})`;
  }
}
