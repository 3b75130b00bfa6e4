/** The stack files users run (dev, prod, examples/stacks/*) and their parsed config. */
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { validateStackConfig } from "../../config/load";
import { referencedSecretKeys, StackConfig } from "../../config/schema";

const REPO_ROOT = path.resolve(__dirname, "..", "..");

/** The stack files users run: dev, prod and every example. */
export const SHIPPED_STACKS: Record<string, string> = {
  dev: path.join(REPO_ROOT, "Pulumi.dev.yaml"),
  prod: path.join(REPO_ROOT, "Pulumi.prod.yaml"),
  ...Object.fromEntries(
    fs
      .readdirSync(path.join(REPO_ROOT, "examples", "stacks"))
      .sort()
      .map((name) => [name, path.join(REPO_ROOT, "examples", "stacks", name, `Pulumi.${name}.yaml`)]),
  ),
};

/** A shipped stack file's `fleetgate:*` config (namespaced keys), parsed. */
export function shippedConfig(stack: string): Record<string, unknown> {
  const doc = YAML.parse(fs.readFileSync(SHIPPED_STACKS[stack], "utf8")) as {
    config: Record<string, unknown>;
  };
  return doc.config;
}

/** A shipped stack's validated config, every `{ secret }` it references counted as set. */
export function validatedShipped(stack: string): StackConfig {
  const raw = Object.fromEntries(
    Object.entries(shippedConfig(stack))
      .filter(([k]) => k.startsWith("fleetgate:"))
      .map(([k, v]) => [k.slice("fleetgate:".length), v]),
  );
  const result = validateStackConfig(raw, { secretKeys: new Set(referencedSecretKeys(raw)) });
  if (!result.ok) throw new Error(`${stack}: ${JSON.stringify(result.issues)}`);
  return result.config;
}
