/**
 * Runs a stack's smoke checks once, outside `pulumi up`: the health-monitor workflow calls it
 * every 12 hours. Same check definitions and library as the deploy gate and the monitor Lambda.
 *
 *   npx ts-node scripts/run-checks.ts --stack <name> [--dir <project dir>]
 *
 * Secret values (API keys, signing secrets) come from the environment as
 * FLEETGATE_SECRET_<KEY> (the config key in upper snake case, e.g. smokeApiKey →
 * FLEETGATE_SECRET_SMOKE_API_KEY), else from `pulumi config get fleetgate:<key>` of the stack.
 * A secret the stack generates itself (`{ generated: <name> }`, a random.RandomPassword) lives
 * only in the stack's state: it comes from FLEETGATE_GENERATED_<NAME> (e.g. smoke-api-key →
 * FLEETGATE_GENERATED_SMOKE_API_KEY), which the health-monitor workflow passes from the GitHub
 * environment secret of that name the stack's CiPipeline writes from the generated value
 * (a `ci.secrets` entry with `scope: read`, docs/ci.md).
 * Every run appends a monitor record to the stack's evidence ledger (the file `pulumi up` writes
 * to, so the error-budget freeze sees the monitor's availability) when the stack declares
 * `gates.ledger` or `--ledger <file>` is given, and to the S3 ledger when `gates.ledger.s3` is set
 * (credentials from the AWS environment; the health-monitor workflow passes them in).
 * Prints the result table; exits 1 when a check fails, 2 on bad usage or config.
 */
import { execFileSync } from "child_process";
import * as path from "path";
import { checkPlan } from "../components/monitor/plan";
import { generatedEnvName } from "../config/generated-secrets";
import { validateStackConfig } from "../config/load";
import { referencedSecretKeys } from "../config/schema";
import { readStackFile } from "../config/stack-file";
import { runMonitor } from "../lambda/monitor/handler";
import { appendRecord } from "../lib/ledger/file";
import { s3TargetOf } from "../lib/ledger/backend";
import { ledgerFile } from "../lib/ledger/path";
import { appendS3Record, describeS3Ledger } from "../lib/ledger/s3";
import { monitorRecord } from "../lib/ledger/record";

export function secretEnvName(key: string): string {
  return `FLEETGATE_SECRET_${key
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/[^A-Za-z0-9]/g, "_")
    .toUpperCase()}`;
}

function usage(message: string): never {
  console.error(
    `run-checks: ${message}\nusage: npx ts-node scripts/run-checks.ts --stack <name> [--dir <project dir>] [--ledger <file>]`,
  );
  process.exit(2);
}

function parseArgs(argv: string[]): { stack: string; dir: string; ledger?: string } {
  let stack: string | undefined;
  let ledger: string | undefined;
  let dir = path.resolve(__dirname, "..");
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (["--stack", "--dir", "--ledger"].includes(flag) && (!value || value.startsWith("--"))) {
      usage(`${flag} needs a value`);
    }
    if (flag === "--stack") stack = argv[++i];
    else if (flag === "--dir") dir = path.resolve(argv[++i]);
    else if (flag === "--ledger") ledger = path.resolve(argv[++i]);
    else usage(`unknown argument "${flag}"`);
  }
  if (!stack) usage("--stack is required");
  return { stack, dir, ledger };
}

async function main() {
  const { stack, dir, ledger } = parseArgs(process.argv.slice(2));
  const stackFile = readStackFile(path.join(dir, `Pulumi.${stack}.yaml`));
  const result = validateStackConfig(stackFile.raw, {
    // Secrets come from the environment or the stack at run time; a missing one fails its check run.
    secretKeys: new Set([...stackFile.context.secretKeys, ...referencedSecretKeys(stackFile.raw)]),
  });
  if (!result.ok)
    usage(
      `Pulumi.${stack}.yaml is invalid:\n${result.issues.map((i) => `  - ${i.path}: ${i.message}`).join("\n")}`,
    );
  const plan = checkPlan(result.config, result.config.alarms?.monitor?.severity ?? "P2", {
    projectDir: dir,
    stack,
  });
  const report = await runMonitor(plan, {
    loadSecrets: async (keys) => Object.fromEntries(keys.map((k) => [k, secretValue(k, stack, dir)])),
    publish: async (n) => console.log(`${n.subject}\n${n.message}`),
  });
  if (report.ok) console.log(`${report.summary}`);
  const cfg = result.config;
  const file = ledger ?? (cfg.gates.ledger ? ledgerFile(dir, stack, cfg.gates.ledger.path) : undefined);
  const s3 = s3TargetOf(cfg.gates.ledger?.s3);
  const base = { stack, environment: cfg.fleet.environment, fleet: cfg.fleet.name };
  // A run that could not check anything is not an available fleet: record the report's verdict.
  const record = { ...monitorRecord(base, report.results), ok: report.ok };
  if (file) {
    appendRecord(file, record);
    console.log(`evidence: appended a monitor record to ${file}`);
  }
  if (s3) {
    // The durable copy: the runner's file is discarded with the runner; the freeze reads this.
    await appendS3Record(s3, stack, record);
    console.log(`evidence: appended a monitor record to ${describeS3Ledger(s3, stack)}`);
  }
  process.exit(report.ok ? 0 : 1);
}

/** A check secret's value: the workflow's env (FLEETGATE_SECRET_<KEY>), else `pulumi config get`. */
export function secretValue(key: string, stack: string, dir: string): string {
  // slotKey of a generated secret (lambda/monitor/plan.ts): only the workflow's env holds it.
  const generated = /^generated:(.+)$/.exec(key)?.[1];
  if (generated) {
    const value = process.env[generatedEnvName(generated)];
    if (value) return value;
    throw new Error(
      `generated secret "${generated}" is not in ${generatedEnvName(generated)}; declare it in ci.secrets (name: ${generatedEnvName(generated)}, value: { generated: ${generated} }, scope: read) so the health-monitor workflow receives it (docs/ci.md)`,
    );
  }
  const fromEnv = process.env[secretEnvName(key)];
  if (fromEnv) return fromEnv;
  try {
    return execFileSync("pulumi", ["config", "get", `fleetgate:${key}`, "--stack", stack], {
      cwd: dir,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    }).replace(/\n$/, "");
  } catch {
    throw new Error(
      `secret "${key}" is neither in ${secretEnvName(key)} nor readable with pulumi config get`,
    );
  }
}

if (require.main === module) {
  main().catch((e) => {
    console.error(`run-checks: ${(e as Error).message}`);
    process.exit(2);
  });
}
