/**
 * The scheduled restore drill (docs/restore-drills.md), run by `scripts/restore-drill.ts` on its
 * own schedule: a fresh `pg_dump -Fc` into the backup directory, a restore of it into a scratch
 * database compared with the source (./restore.ts), then retention by age: this stack's dumps
 * older than `maxAgeDays` are removed, but only after the newest dump was proven to restore (a
 * failed drill removes nothing). Each run appends one JSON line to `<directory>/<stack>-drills.jsonl`.
 */
import { dumpFileName } from "./backup";
import { pgDump } from "./pgdump";
import { restoreDrill, RestoreDrillResult } from "./restore";

export interface ScheduledDrillInputs {
  source: string;
  scratchServer?: string;
  /** The backup directory (absolute). */
  directory: string;
  stack: string;
  criticalTables: string[];
  rowTolerancePercent: number;
  timeoutSeconds: number;
  /** Dumps of this stack older than this are removed after a successful drill. */
  maxAgeDays?: number;
  now?: Date;
}

/** One line of `<stack>-drills.jsonl`. */
export interface DrillRecord {
  kind: "restore-drill";
  time: string;
  stack: string;
  dump: string;
  outcome: "restored" | "failed";
  problems: string[];
  durationMs: number;
  /** Dump files removed by retention (names). */
  pruned: string[];
}

/** The time in a dump's name (`<stack>-<YYYYMMDDTHHMMSSZ>-<revision>.dump`), or undefined. */
export function dumpTime(file: string, stack: string): Date | undefined {
  if (!file.startsWith(`${stack}-`) || !file.endsWith(".dump")) return undefined;
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z-/.exec(file.slice(stack.length + 1));
  if (!m) return undefined;
  return new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]));
}

/** Removes this stack's dumps older than `maxAgeDays`, never `keepFile`; returns their names. */
export function pruneDumpsOlderThan(
  directory: string,
  stack: string,
  maxAgeDays: number,
  now: Date,
  keepFile: string,
): string[] {
  const fs = require("fs") as typeof import("fs");
  const path = require("path") as typeof import("path");
  const limit = now.getTime() - maxAgeDays * 86_400_000;
  const old = fs
    .readdirSync(directory)
    .filter((f) => f !== path.basename(keepFile))
    .filter((f) => {
      const t = dumpTime(f, stack);
      return t !== undefined && t.getTime() < limit;
    })
    .sort();
  for (const f of old) fs.rmSync(path.join(directory, f), { force: true });
  return old;
}

export async function scheduledDrill(
  inputs: ScheduledDrillInputs,
): Promise<{ record: DrillRecord; result: RestoreDrillResult }> {
  const fs = require("fs") as typeof import("fs");
  const path = require("path") as typeof import("path");
  const now = inputs.now ?? new Date();
  const dump = path.join(inputs.directory, dumpFileName(inputs.stack, "drill", now));
  await pgDump(inputs.source, dump, inputs.timeoutSeconds * 1000);
  const result = await restoreDrill({
    source: inputs.source,
    scratchServer: inputs.scratchServer,
    dumpPath: dump,
    criticalTables: inputs.criticalTables,
    rowTolerancePercent: inputs.rowTolerancePercent,
    timeoutSeconds: inputs.timeoutSeconds,
  });
  const pruned =
    result.outcome === "restored" && inputs.maxAgeDays !== undefined
      ? pruneDumpsOlderThan(inputs.directory, inputs.stack, inputs.maxAgeDays, now, dump)
      : [];
  const record: DrillRecord = {
    kind: "restore-drill",
    time: new Date().toISOString(),
    stack: inputs.stack,
    dump,
    outcome: result.outcome,
    problems: result.problems,
    durationMs: result.durationMs,
    pruned,
  };
  fs.appendFileSync(
    path.join(inputs.directory, `${inputs.stack}-drills.jsonl`),
    `${JSON.stringify(record)}\n`,
    {
      mode: 0o600,
    },
  );
  return { record, result };
}
