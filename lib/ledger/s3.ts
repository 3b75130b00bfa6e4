/**
 * The S3 ledger backend: the evidence ledger as objects in an S3-compatible bucket, one object
 * per record under `<prefix><stack>/`, so appends from different machines (CI runners, the
 * monitor Lambda, a laptop) never rewrite each other's data and nothing lives only on a runner
 * that is discarded. Keys start with the record's time, so a listing is oldest first.
 *
 * Credentials come from the AWS SDK's default chain (AWS_ACCESS_KEY_ID/..., a role). Node
 * modules are required inside the functions: dynamic providers serialize them.
 */
import type { LedgerRecord } from "./record";

export interface S3LedgerTarget {
  bucket: string;
  /** Key prefix, e.g. `fleetgate/ledger/`; records of a stack live under `<prefix><stack>/`. */
  prefix: string;
  region?: string;
  /** An S3-compatible endpoint (MinIO, moto, R2), e.g. http://127.0.0.1:9000; path-style access. */
  endpoint?: string;
}

/** `s3://bucket/prefix<stack>/`: where a person finds the records. */
export function describeS3Ledger(target: S3LedgerTarget, stack: string): string {
  return `s3://${target.bucket}/${target.prefix}${stack}/`;
}

function client(target: S3LedgerTarget) {
  const { S3Client } = require("@aws-sdk/client-s3") as typeof import("@aws-sdk/client-s3");
  return new S3Client({
    region: target.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? "us-east-1",
    ...(target.endpoint ? { endpoint: target.endpoint, forcePathStyle: true } : {}),
  });
}

/** The object key of a record: time first (sortable), then kind and a random suffix (no collisions). */
export function recordKey(target: S3LedgerTarget, stack: string, record: LedgerRecord): string {
  const { randomBytes } = require("crypto") as typeof import("crypto");
  const time = record.time.replace(/[:.]/g, "-");
  return `${target.prefix}${stack}/${time}-${record.kind}-${randomBytes(4).toString("hex")}.json`;
}

/** Writes one record as one object; returns its JSON line. Throws when the bucket refuses it. */
export async function appendS3Record(
  target: S3LedgerTarget,
  stack: string,
  record: LedgerRecord,
): Promise<string> {
  const { PutObjectCommand } = require("@aws-sdk/client-s3") as typeof import("@aws-sdk/client-s3");
  const line = JSON.stringify(record);
  const s3 = client(target);
  try {
    await s3.send(
      new PutObjectCommand({
        Bucket: target.bucket,
        Key: recordKey(target, stack, record),
        Body: line,
        ContentType: "application/json",
      }),
    );
  } catch (err) {
    throw new Error(
      `cannot write the evidence record to ${describeS3Ledger(target, stack)}: ${(err as Error).message}`,
    );
  } finally {
    s3.destroy();
  }
  return line;
}

/**
 * Every record of the stack, oldest first. An object that does not parse is skipped and
 * counted, never fatal; a bucket that cannot be read throws (the freeze must not guess).
 */
export async function readS3Records(
  target: S3LedgerTarget,
  stack: string,
): Promise<{ records: LedgerRecord[]; skipped: number }> {
  const { GetObjectCommand, ListObjectsV2Command } =
    require("@aws-sdk/client-s3") as typeof import("@aws-sdk/client-s3");
  const s3 = client(target);
  const keys: string[] = [];
  try {
    let token: string | undefined;
    do {
      const page = await s3.send(
        new ListObjectsV2Command({
          Bucket: target.bucket,
          Prefix: `${target.prefix}${stack}/`,
          ContinuationToken: token,
        }),
      );
      for (const o of page.Contents ?? []) if (o.Key?.endsWith(".json")) keys.push(o.Key);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    const records: LedgerRecord[] = [];
    let skipped = 0;
    for (const Key of keys.sort()) {
      const obj = await s3.send(new GetObjectCommand({ Bucket: target.bucket, Key }));
      try {
        const rec = JSON.parse((await obj.Body?.transformToString("utf8")) ?? "") as LedgerRecord;
        if (rec && (rec.kind === "deploy" || rec.kind === "monitor")) records.push(rec);
        else skipped++;
      } catch {
        skipped++;
      }
    }
    records.sort((a, b) => Date.parse(a.time) - Date.parse(b.time));
    return { records, skipped };
  } catch (err) {
    throw new Error(
      `cannot read the evidence ledger ${describeS3Ledger(target, stack)}: ${(err as Error).message}`,
    );
  } finally {
    s3.destroy();
  }
}

/**
 * `readS3Records` for synchronous callers (the error-budget freeze runs in the program's
 * constructor, before anything is registered): runs it in a child Node process and waits.
 */
export function readS3RecordsSync(
  target: S3LedgerTarget,
  stack: string,
  timeoutMs = 60_000,
): { records: LedgerRecord[]; skipped: number } {
  const { spawnSync } = require("child_process") as typeof import("child_process");
  const script = `
    const { readS3Records } = require(${JSON.stringify(__filename.replace(/\.ts$/, ""))});
    readS3Records(JSON.parse(process.argv[1]), process.argv[2]).then(
      (r) => process.stdout.write(JSON.stringify(r)),
      (e) => { process.stderr.write(e.message); process.exit(1); },
    );`;
  // ts-node resolves the .ts module when this runs from source (the Pulumi program does).
  const register = __filename.endsWith(".ts") ? ["-r", "ts-node/register/transpile-only"] : [];
  const r = spawnSync(process.execPath, [...register, "-e", script, JSON.stringify(target), stack], {
    encoding: "utf8",
    timeout: timeoutMs,
    env: process.env,
    cwd: require("path").resolve(__dirname, "..", ".."),
  });
  if (r.status !== 0) {
    throw new Error(
      r.stderr?.trim() ||
        `cannot read the evidence ledger ${describeS3Ledger(target, stack)}: ${r.error?.message ?? `exit ${r.status}`}`,
    );
  }
  return JSON.parse(r.stdout) as { records: LedgerRecord[]; skipped: number };
}

/** Key of a backup file: `<prefix><stack>/backups/<file name>` (readers of records skip it). */
export function backupKey(target: S3LedgerTarget, stack: string, file: string): string {
  return `${target.prefix}${stack}/backups/${require("path").basename(file)}`;
}

/**
 * Uploads a backup file (a pg_dump) beside the stack's records, so it outlives the machine
 * that took it. Returns its s3:// URL. Throws naming the bucket when the upload fails.
 */
export async function uploadBackup(target: S3LedgerTarget, stack: string, file: string): Promise<string> {
  const fs = require("fs") as typeof import("fs");
  const { PutObjectCommand } = require("@aws-sdk/client-s3") as typeof import("@aws-sdk/client-s3");
  const key = backupKey(target, stack, file);
  const s3 = client(target);
  try {
    await s3.send(
      new PutObjectCommand({
        Bucket: target.bucket,
        Key: key,
        Body: fs.createReadStream(file),
        ContentLength: fs.statSync(file).size,
        ContentType: "application/octet-stream",
      }),
    );
  } catch (err) {
    throw new Error(`cannot upload the backup to s3://${target.bucket}/${key}: ${(err as Error).message}`);
  } finally {
    s3.destroy();
  }
  return `s3://${target.bucket}/${key}`;
}
