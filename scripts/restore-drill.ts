/**
 * Runs a stack's scheduled restore drill once (docs/restore-drills.md): a fresh pg_dump into the
 * backup directory, a restore into a scratch database compared with the source, then retention
 * by age (`gates.backup.restoreDrill.maxAgeDays`). A cron job or workflow calls it on the
 * drill's `schedule`.
 *
 *   npx ts-node scripts/restore-drill.ts --stack <name> [--dir <project dir>]
 *
 * Secrets (the database URL, the scratch server) come from the environment as
 * FLEETGATE_SECRET_<KEY> (see scripts/run-checks.ts), else from `pulumi config get`.
 * Prints the drill's record; exits 1 when the drill failed, 2 on bad usage or config.
 */
import * as path from "path";
import { validateStackConfig } from "../config/load";
import { PlainOrSecret } from "../config/primitives";
import { referencedSecretKeys, StackConfig } from "../config/schema";
import { readStackFile } from "../config/stack-file";
import { DrillRecord, scheduledDrill } from "../providers/backup/restoreSchedule";
import { secretValue } from "./run-checks";

/** The drill inputs of a validated stack config; throws with the field to set when it has none. */
export function drillInputs(
  cfg: StackConfig,
  stack: string,
  dir: string,
  value: (v: PlainOrSecret) => string,
): Parameters<typeof scheduledDrill>[0] {
  const backup = cfg.gates.backup;
  const drill = backup?.restoreDrill;
  if (!backup || !drill) {
    throw new Error("gates.backup.restoreDrill is not set; declare it (docs/restore-drills.md)");
  }
  const connection = backup.connection ?? cfg.gates.integrity?.connection;
  if (connection === undefined)
    throw new Error("gates.backup.connection: is required; set { secret: databaseUrl }");
  return {
    source: value(connection),
    scratchServer: drill.scratchServer === undefined ? undefined : value(drill.scratchServer),
    directory: path.resolve(dir, backup.directory ?? path.join(".fleetgate", "backups", stack)),
    stack,
    criticalTables: cfg.gates.integrity?.criticalTables ?? [],
    rowTolerancePercent: drill.rowTolerancePercent,
    timeoutSeconds: backup.timeoutSeconds,
    maxAgeDays: drill.maxAgeDays,
  };
}

/** Reads the stack file, runs the drill, returns its record. */
export async function runStackDrill(stack: string, dir: string): Promise<DrillRecord> {
  const stackFile = readStackFile(path.join(dir, `Pulumi.${stack}.yaml`));
  const result = validateStackConfig(stackFile.raw, {
    secretKeys: new Set([...stackFile.context.secretKeys, ...referencedSecretKeys(stackFile.raw)]),
  });
  if (!result.ok) {
    throw new Error(
      `Pulumi.${stack}.yaml is invalid:\n${result.issues.map((i) => `  - ${i.path}: ${i.message}`).join("\n")}`,
    );
  }
  const value = (v: PlainOrSecret) =>
    typeof v === "string" ? v : "secret" in v ? secretValue(v.secret, stack, dir) : "";
  const { record } = await scheduledDrill(drillInputs(result.config, stack, dir, value));
  return record;
}

async function main() {
  const argv = process.argv.slice(2);
  let stack: string | undefined;
  let dir = path.resolve(__dirname, "..");
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--stack" && argv[i + 1]) stack = argv[++i];
    else if (argv[i] === "--dir" && argv[i + 1]) dir = path.resolve(argv[++i]);
    else {
      console.error(`restore-drill: unknown or incomplete argument "${argv[i]}"`);
      process.exit(2);
    }
  }
  if (!stack) {
    console.error("usage: npx ts-node scripts/restore-drill.ts --stack <name> [--dir <project dir>]");
    process.exit(2);
  }
  const record = await runStackDrill(stack, dir);
  console.log(JSON.stringify(record, null, 2));
  process.exit(record.outcome === "restored" ? 0 : 1);
}

if (require.main === module) {
  main().catch((e) => {
    console.error(`restore-drill: ${(e as Error).message}`);
    process.exit(2);
  });
}
