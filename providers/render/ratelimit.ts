/**
 * Client-side rate limit for the Render API: one token bucket (GCRA) per API base URL, shared by
 * every resource in the provider process through `globalThis` (each dynamic resource carries its
 * own serialized copy of this module, so module state would not be shared).
 */

interface Bucket {
  /** Theoretical arrival time of the next request (ms since epoch). */
  tat: number;
}

const STORE_KEY = "__fleetgateRenderRateLimit";

function buckets(): Map<string, Bucket> {
  const g = globalThis as unknown as Record<string, Map<string, Bucket> | undefined>;
  if (!g[STORE_KEY]) g[STORE_KEY] = new Map();
  return g[STORE_KEY]!;
}

/**
 * Waits until one more request may start: at most `burst` at once, then `perSecond` steadily.
 * Requests are granted in call order.
 */
export async function takeToken(key: string, perSecond: number, burst: number): Promise<void> {
  const store = buckets();
  const interval = 1000 / perSecond;
  const now = Date.now();
  const bucket = store.get(key) ?? { tat: now };
  store.set(key, bucket);
  const tat = Math.max(bucket.tat, now) + interval;
  bucket.tat = tat;
  const wait = tat - now - burst * interval;
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
}

/** Lower bound of the wall time for `requests` requests under the limit (for the benchmark). */
export function rateLimitFloorMs(requests: number, perSecond: number, burst: number): number {
  return (Math.max(0, requests - burst) * 1000) / perSecond;
}
