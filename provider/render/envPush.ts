/**
 * Pushing a complete merged env-var set to one Render service (docs/design.md, "Env-var sets"):
 * read every page → merge (keep foreign keys, drop owned keys no longer declared) → PUT the
 * whole set → read back and verify. A failed read means no write. Errors never carry values.
 */
import { mergeEnvVars, sameEnvVars } from "../../providers/envsets/merge";
import { listAll, renderRequest, RenderClientSettings } from "./client";

export interface EnvVar {
  key: string;
  value: string;
}

/** Every env var of a service (all pages), as an object. */
export async function readEnvVars(
  s: RenderClientSettings,
  serviceId: string,
): Promise<Record<string, string>> {
  const list = await listAll<EnvVar>(s, `/services/${encodeURIComponent(serviceId)}/env-vars`, "envVar");
  const vars: Record<string, string> = {};
  for (const v of list) {
    if (!v || typeof v.key !== "string" || typeof v.value !== "string") {
      throw new Error(`Render API listed an env var of ${serviceId} without a string key and value`);
    }
    vars[v.key] = v.value;
  }
  return vars;
}

export interface PushResult {
  /** Keys on the service that the set does not own (kept). */
  foreignKeys: string[];
  /** Owned keys removed from the service because they are no longer declared. */
  removedKeys: string[];
  /** False when the service already held exactly the merged set (nothing was written). */
  wrote: boolean;
}

/** Thrown by pushEnvVars; `wrote` says whether a PUT may have reached the service. */
export interface PushError extends Error {
  wrote: boolean;
}

/**
 * Makes the service hold `declared` plus its foreign keys; `previouslyOwned` are the keys this
 * set owned at its last push (removed unless still declared).
 */
export async function pushEnvVars(
  s: RenderClientSettings,
  serviceId: string,
  declared: Record<string, string>,
  previouslyOwned: readonly string[],
): Promise<PushResult> {
  let wrote = false;
  try {
    const current = await readEnvVars(s, serviceId);
    const { merged, foreignKeys, removedKeys } = mergeEnvVars(current, previouslyOwned, declared);
    if (sameEnvVars(current, merged)) return { foreignKeys, removedKeys, wrote };
    const body = Object.keys(merged).length
      ? Object.entries(merged).map(([key, value]) => ({ key, value }))
      : null; // Render clears a set with a null body
    wrote = true;
    await renderRequest(s, "PUT", `/services/${encodeURIComponent(serviceId)}/env-vars`, body);
    const after = await readEnvVars(s, serviceId);
    if (!sameEnvVars(after, merged)) {
      throw new Error(`read-back after PUT differs from what was sent: ${describeDifference(merged, after)}`);
    }
    return { foreignKeys, removedKeys, wrote };
  } catch (e) {
    throw Object.assign(e instanceof Error ? e : new Error(String(e)), { wrote }) as PushError;
  }
}

/** Names the keys that differ between two sets (never their values). */
export function describeDifference(expected: Record<string, string>, actual: Record<string, string>): string {
  const missing = Object.keys(expected).filter((k) => !Object.hasOwn(actual, k));
  const extra = Object.keys(actual).filter((k) => !Object.hasOwn(expected, k));
  const changed = Object.keys(expected).filter((k) => Object.hasOwn(actual, k) && actual[k] !== expected[k]);
  const parts = [
    missing.length ? `missing ${missing.sort().join(", ")}` : "",
    extra.length ? `unexpected ${extra.sort().join(", ")}` : "",
    changed.length ? `different values for ${changed.sort().join(", ")}` : "",
  ].filter(Boolean);
  return parts.join("; ") || "no difference";
}

/** Replaces every occurrence of a secret value (4+ characters) in a message: a last line of defence. */
export function redact(message: string, secrets: readonly string[]): string {
  let out = message;
  for (const v of [...secrets].filter((x) => x.length >= 4).sort((a, b) => b.length - a.length)) {
    out = out.split(v).join("[secret]");
  }
  return out;
}
