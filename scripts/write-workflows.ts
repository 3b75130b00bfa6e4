/**
 * Writes a stack's generated GitHub Actions workflows to a directory, without GitHub or an
 * engine, so a repository can commit them:
 *
 *   npx ts-node scripts/write-workflows.ts --stack dev --out .
 *
 * Reads Pulumi.<stack>.yaml, validates it like `pulumi up` does (secrets need not be set: the
 * workflows carry secret names only) and writes <out>/.github/workflows/*.yml.
 */
import * as fs from "fs";
import * as path from "path";
import { renderWorkflowFiles } from "../components/ci/workflows";
import { validateStackConfig } from "../config/load";
import { readStackFile } from "../config/stack-file";

const USAGE = "usage: npx ts-node scripts/write-workflows.ts --stack <name> --out <dir>";

export function parseArgs(argv: string[]): { stack: string; out: string } {
  const args: Record<string, string> = {};
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (!["--stack", "--out"].includes(flag) || value === undefined) throw new Error(USAGE);
    args[flag.slice(2)] = value;
  }
  if (!args.stack || !args.out) throw new Error(USAGE);
  return { stack: args.stack, out: args.out };
}

/** Every `{ secret: <key> }` in the raw config, so validation does not ask for their values. */
function referencedSecretKeys(value: unknown, into = new Set<string>()): Set<string> {
  if (Array.isArray(value)) value.forEach((v) => referencedSecretKeys(v, into));
  else if (value && typeof value === "object") {
    const secret = (value as { secret?: unknown }).secret;
    if (typeof secret === "string") into.add(secret);
    else Object.values(value).forEach((v) => referencedSecretKeys(v, into));
  }
  return into;
}

/** Writes the workflows of `Pulumi.<stack>.yaml` under `out`; returns the paths written. */
export function writeWorkflows(
  stack: string,
  out: string,
  projectDir = path.resolve(__dirname, ".."),
): string[] {
  const file = path.join(projectDir, `Pulumi.${stack}.yaml`);
  if (!fs.existsSync(file)) throw new Error(`stack file ${file} does not exist; check --stack`);
  const { raw, context } = readStackFile(file);
  const secretKeys = new Set([...context.secretKeys, ...referencedSecretKeys(raw)]);
  const result = validateStackConfig(raw, { secretKeys });
  if (!result.ok) {
    throw new Error(
      `Pulumi.${stack}.yaml is invalid:\n${result.issues.map((i) => `  - ${i.path}: ${i.message}`).join("\n")}`,
    );
  }
  if (!result.config.ci)
    throw new Error(`Pulumi.${stack}.yaml has no fleetgate:ci section; add one (see docs/ci.md)`);
  const files = renderWorkflowFiles(result.config.ci, `Pulumi.${stack}.yaml`);
  return Object.entries(files).map(([rel, content]) => {
    const target = path.join(out, rel);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, content);
    return target;
  });
}

if (require.main === module) {
  try {
    const { stack, out } = parseArgs(process.argv.slice(2));
    for (const written of writeWorkflows(stack, out)) console.log(`wrote ${written}`);
  } catch (e) {
    console.error((e as Error).message);
    process.exit(1);
  }
}
