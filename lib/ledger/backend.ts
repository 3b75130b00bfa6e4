/**
 * Where the evidence ledger lives, selected by config (`gates.ledger.s3`): a JSON Lines file
 * (the default; the local stack's) or an S3-compatible bucket (lib/ledger/s3.ts), which
 * survives CI runners and is shared by every clone, runner and the monitor Lambda.
 */
import { appendRecord, readRecords } from "./file";
import type { LedgerRecord } from "./record";
import { appendS3Record, describeS3Ledger, readS3Records, S3LedgerTarget } from "./s3";

export interface LedgerBackend {
  /** Where the records are, for messages (a path or an s3:// URL). */
  readonly location: string;
  /** Appends one record; returns its JSON line. */
  append(record: LedgerRecord): Promise<string>;
  /** Every record, oldest first, and how many entries did not parse. */
  read(): Promise<{ records: LedgerRecord[]; skipped: number }>;
}

export function fileLedger(file: string): LedgerBackend {
  return {
    location: file,
    append: async (record) => appendRecord(file, record),
    read: async () => readRecords(file),
  };
}

export function s3Ledger(target: S3LedgerTarget, stack: string): LedgerBackend {
  return {
    location: describeS3Ledger(target, stack),
    append: (record) => appendS3Record(target, stack, record),
    read: () => readS3Records(target, stack),
  };
}

/** The configured ledger: the bucket when `s3` is set, else the file. */
export function ledgerBackend(opts: { file: string; stack: string; s3?: S3LedgerTarget }): LedgerBackend {
  return opts.s3 ? s3Ledger(opts.s3, opts.stack) : fileLedger(opts.file);
}

/** The S3 target of a `gates.ledger.s3` config section (undefined: the file ledger only). */
export function s3TargetOf(
  s3: { bucket: string; prefix: string; region?: string; endpoint?: string } | undefined,
): S3LedgerTarget | undefined {
  if (!s3) return undefined;
  return {
    bucket: s3.bucket,
    prefix: s3.prefix,
    ...(s3.region ? { region: s3.region } : {}),
    ...(s3.endpoint ? { endpoint: s3.endpoint } : {}),
  };
}
