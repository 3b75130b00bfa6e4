/**
 * The evidence ledger's record shapes: one JSON object per line of `ledger.jsonl`.
 *
 * Writers: the EvidenceRecord resource (one `deploy` record per `pulumi up` that deployed or
 * re-ran a gate), the deploy gates themselves when they fail, and the health monitor (one
 * `monitor` record per run). Readers: the error-budget freeze (lib/slo) and people.
 * Records hold no secret values: check reasons and error messages are already secret-free.
 */

/** One check's result as recorded (the shape of lib/checks `CheckResult`). */
export interface RecordedCheck {
  check: string;
  target: string;
  kind?: string;
  status: "pass" | "fail";
  latencyMs: number;
  reason: string;
}

/** What the post-deploy watch saw for one service. */
export interface RecordedWatch {
  service: string;
  samples: number;
  errorRatePercent: number;
  p95Ms: number;
  baselineP95Ms?: number;
  verdict: "ok" | "over-threshold";
  reason?: string;
}

interface RecordBase {
  /** ISO-8601 time the record was written. */
  time: string;
  /** Pulumi stack name. */
  stack: string;
  /** fleet.environment (dev, prod, ...). */
  environment: string;
  /** fleet.name. */
  fleet: string;
  /** The checks that ran, with their results. */
  checks: RecordedCheck[];
}

/**
 * One `pulumi up` that deployed or re-ran a gate. `outcome`: `succeeded` (every gate passed),
 * `failed` (a gate failed and nothing was rolled back, or a rollback failed), `rolled-back` (a
 * gate failed and rolled the failed services back: `images` then names what runs again, and
 * `declaredImages` what was declared). Fields are only ever added, never renamed: other writers
 * and readers (an S3 copy of the ledger) rely on this shape.
 */
export interface DeployRecord extends RecordBase {
  kind: "deploy";
  outcome: "succeeded" | "failed" | "rolled-back";
  /** The fleet revision (hash of images and env declarations). */
  revision: string;
  /** Image reference per service that is live after this update. */
  images: Record<string, string>;
  /**
   * Where each image came from, when the stack has a release section: `release-input`,
   * `promoted:<stack>`, `tag:<ref>` (resolved to its digest) or `stack-file`.
   */
  imageSources?: Record<string, string>;
  /** The declared images, when a rollback left other images live (rolled-back records). */
  declaredImages?: Record<string, string>;
  /** Per service, the deploy live after this update (`<service id>:<deploy id>`), when known. */
  deployments?: Record<string, string>;
  /** The backup taken before the deploy, if any. */
  backup?: { path: string; sizeBytes: number };
  watch?: RecordedWatch[];
  /** One line per service rolled back (or that could not be), empty when none. */
  rollback: string[];
  /** The failing gate and its message (failed records only). */
  failure?: { gate: string; message: string };
  /** Set when the error-budget freeze was overridden for this deploy. */
  freezeOverride?: string;
}

/**
 * One run of the health monitor. `ok` is true when every check passed: the availability the
 * error-budget freeze computes is the share of runs that were ok.
 */
export interface MonitorRecord extends RecordBase {
  kind: "monitor";
  ok: boolean;
}

export type LedgerRecord = DeployRecord | MonitorRecord;

/** A monitor record from a run's check results (for the health monitor to append). */
export function monitorRecord(
  base: Omit<RecordBase, "checks" | "time"> & { time?: string },
  checks: RecordedCheck[],
): MonitorRecord {
  return {
    kind: "monitor",
    time: base.time ?? new Date().toISOString(),
    stack: base.stack,
    environment: base.environment,
    fleet: base.fleet,
    checks,
    ok: checks.every((c) => c.status === "pass"),
  };
}
