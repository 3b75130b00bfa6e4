/**
 * The ledger file: JSON Lines, append-only. Each record is written with one `appendFileSync`
 * of one line, so concurrent writers (a deploy and a monitor run) never interleave inside a
 * line on a local file system. Node modules are required inside the functions: deploy gates'
 * providers call them and get serialized with them.
 */
import type { LedgerRecord } from "./record";

/** Appends one record as one line; creates the file and its directory when missing. */
export function appendRecord(file: string, record: LedgerRecord): string {
  const fs = require("fs") as typeof import("fs");
  const path = require("path") as typeof import("path");
  const line = JSON.stringify(record);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.appendFileSync(file, `${line}\n`, { encoding: "utf8", mode: 0o600 });
  return line;
}

/**
 * Every record of the file, oldest first; a missing file is an empty ledger. A line that does
 * not parse (a torn write after a crash) is skipped and counted, never fatal.
 */
export function readRecords(file: string): { records: LedgerRecord[]; skipped: number } {
  const fs = require("fs") as typeof import("fs");
  if (!fs.existsSync(file)) return { records: [], skipped: 0 };
  const records: LedgerRecord[] = [];
  let skipped = 0;
  for (const line of fs.readFileSync(file, "utf8").split("\n")) {
    if (!line.trim()) continue;
    try {
      const rec = JSON.parse(line) as LedgerRecord;
      if (rec && (rec.kind === "deploy" || rec.kind === "monitor")) records.push(rec);
      else skipped++;
    } catch {
      skipped++;
    }
  }
  return { records, skipped };
}
