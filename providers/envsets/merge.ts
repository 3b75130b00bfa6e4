/**
 * The complete-merged-set rule for env-var sets, shared by every platform (Render, local).
 *
 * A set owns the keys it declared; keys set elsewhere on the service are kept and reported:
 *   merged = (current - keys we owned but no longer declare) + declared
 *
 * Pure and dependency-free: dynamic providers serialize it into their provider process.
 */

export interface MergeResult {
  /** The complete set to write to the service. */
  merged: Record<string, string>;
  /** Keys on the service that this set never owned (kept as they are). */
  foreignKeys: string[];
  /** Owned keys removed because they are no longer declared. */
  removedKeys: string[];
}

/**
 * @param current every variable the service has now (all pages)
 * @param previouslyOwned the keys this set declared at its last successful push
 * @param declared the keys and values this set declares now
 */
export function mergeEnvVars(
  current: Record<string, string>,
  previouslyOwned: readonly string[],
  declared: Record<string, string>,
): MergeResult {
  const owned = new Set(previouslyOwned);
  const kept: [string, string][] = [];
  const foreignKeys: string[] = [];
  const removedKeys: string[] = [];
  for (const [key, value] of Object.entries(current)) {
    // Own keys only: an env var may be called "constructor" or "toString".
    if (Object.hasOwn(declared, key)) continue;
    if (owned.has(key)) {
      removedKeys.push(key);
      continue;
    }
    kept.push([key, value]);
    foreignKeys.push(key);
  }
  // fromEntries defines own data properties, so even a key named "__proto__" stays a plain key.
  const merged = Object.fromEntries([...kept, ...Object.entries(declared)]);
  return { merged, foreignKeys: foreignKeys.sort(), removedKeys: removedKeys.sort() };
}

/** True when two sets hold the same keys with the same values (order does not matter). */
export function sameEnvVars(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && a[k] === b[k]);
}
