/**
 * Reads a `Pulumi.<stack>.yaml` file into the raw stack config the validator takes, without an
 * engine: for tests, the workflow writer and other offline tools. Secure (encrypted) values are
 * not decrypted; their keys are reported as set secrets.
 */
import * as fs from "fs";
import { parse } from "yaml";
import { ConfigContext } from "./schema";

export interface StackFile {
  /** The `fleetgate:*` keys without namespace. */
  raw: Record<string, unknown>;
  /** What the validator needs: which secret keys the file sets. */
  context: ConfigContext;
}

const NAMESPACE = "fleetgate:";

export function readStackFile(file: string): StackFile {
  const doc = parse(fs.readFileSync(file, "utf8")) as { config?: Record<string, unknown> } | null;
  const raw: Record<string, unknown> = {};
  const secretKeys = new Set<string>();
  for (const [full, value] of Object.entries(doc?.config ?? {})) {
    if (!full.startsWith(NAMESPACE)) continue;
    const key = full.slice(NAMESPACE.length);
    if (value && typeof value === "object" && "secure" in value) secretKeys.add(key);
    else raw[key] = value;
  }
  return { raw, context: { secretKeys } };
}
