/**
 * The five example stacks (examples/stacks/<fleet>/Pulumi.<fleet>.yaml), read as the validator
 * sees them with every referenced secret assumed set (CI and operators set them).
 */
import * as path from "path";
import { validateStackConfig, ValidationResult } from "../../config/load";
import { referencedSecretKeys } from "../../config/schema";
import { readStackFile } from "../../config/stack-file";
import { REPO_ROOT } from "../support/engine";

export const EXAMPLE_STACKS = ["atlasux", "hatidata", "madbase", "haven", "hotdash"] as const;
export type ExampleStack = (typeof EXAMPLE_STACKS)[number];

export function exampleStackFile(stack: ExampleStack): string {
  return path.join(REPO_ROOT, "examples", "stacks", stack, `Pulumi.${stack}.yaml`);
}

/** The raw config of an example stack and the secret keys it references. */
export function readExample(stack: ExampleStack): { raw: Record<string, unknown>; secretKeys: Set<string> } {
  const file = readStackFile(exampleStackFile(stack));
  return {
    raw: file.raw,
    secretKeys: new Set([...file.context.secretKeys, ...referencedSecretKeys(file.raw)]),
  };
}

export function validateExample(stack: ExampleStack): ValidationResult {
  const { raw, secretKeys } = readExample(stack);
  return validateStackConfig(raw, { secretKeys });
}
