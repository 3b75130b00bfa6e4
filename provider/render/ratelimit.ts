/**
 * Client-side pacing for the Render API, driven by the quotas Render announces on every answer
 * (`Ratelimit-Limit`, `Ratelimit-Remaining`, `Ratelimit-Reset` = seconds until the window resets).
 * Render counts reads, writes, deploys and scale calls in separate buckets, so each bucket is paced
 * on its own: requests go out at once while the bucket has quota left, and wait for the window's
 * reset when it is spent. Requests sent but not yet answered count against the quota, so a burst
 * of concurrent calls never overdraws it. Until a bucket's first answer is in, one request at a
 * time probes it. An optional `requestsPerSecond` cap (GCRA) applies on top.
 *
 * State lives on `globalThis`: one map per process, shared by every resource the plugin serves
 * (and by the dynamic providers, which carry their own copy of this module).
 */

/** Render's rate-limit buckets. */
export type Bucket = "get" | "write" | "deploy" | "scale";

/** The bucket a call counts against. */
export function bucketOf(method: string, path: string): Bucket {
  const m = method.toUpperCase();
  if (m === "GET" || m === "HEAD") return "get";
  const p = path.split("?")[0];
  if (m === "POST" && /\/(deploys|rollback)$/.test(p)) return "deploy";
  if (m === "POST" && /\/(scale|suspend|resume)$/.test(p)) return "scale";
  return "write";
}

interface BucketState {
  /** Requests the server allows per window, once known. */
  limit?: number;
  /** Requests left in the window, counting those sent and not yet answered. */
  remaining?: number;
  /** When the window resets (ms since epoch). */
  resetAt?: number;
  /** Set while the first request of an unknown bucket is out. */
  probe?: Promise<void>;
  releaseProbe?: () => void;
  /** GCRA theoretical arrival time for the optional requests-per-second cap. */
  tat: number;
}

const STORE_KEY = "__fleetgateRenderQuota";

function store(): Map<string, BucketState> {
  const g = globalThis as unknown as Record<string, Map<string, BucketState> | undefined>;
  if (!g[STORE_KEY]) g[STORE_KEY] = new Map();
  return g[STORE_KEY]!;
}

function stateOf(key: string): BucketState {
  const s = store();
  let b = s.get(key);
  if (!b) {
    b = { tat: 0 };
    s.set(key, b);
  }
  return b;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Longest single wait for a window reset (a wrong header must not stall an update forever). */
const MAX_WAIT_MS = 65_000;

export interface Cap {
  perSecond: number;
  burst: number;
}

/**
 * Waits until one more request of `bucket` may start against the API at `key` (its base URL).
 * Call `observe` with the answer's headers afterwards (or `release` when there was no answer).
 */
export async function acquire(key: string, bucket: Bucket, cap?: Cap, now = Date.now): Promise<void> {
  const b = stateOf(`${key}|${bucket}`);
  if (cap) {
    const interval = 1000 / cap.perSecond;
    const t = now();
    b.tat = Math.max(b.tat, t) + interval;
    const wait = b.tat - t - cap.burst * interval;
    if (wait > 0) await sleep(wait);
  }
  for (;;) {
    const t = now();
    if (b.resetAt !== undefined && t >= b.resetAt) {
      // A new window: the full quota again until the next answer says otherwise.
      b.remaining = b.limit;
      b.resetAt = undefined;
    }
    if (b.limit === undefined) {
      // Unknown bucket: one probe at a time until an answer tells the quota.
      if (b.probe) {
        await b.probe;
        continue;
      }
      b.probe = new Promise<void>((resolve) => (b.releaseProbe = resolve));
      return;
    }
    if (b.remaining === undefined || b.remaining > 0) {
      if (b.remaining !== undefined) b.remaining -= 1;
      return;
    }
    // Spent: wait for the reset (or a short while when the server did not say when).
    await sleep(Math.min(MAX_WAIT_MS, Math.max(50, (b.resetAt ?? t + 1000) - t)));
  }
}

function endProbe(b: BucketState): void {
  const release = b.releaseProbe;
  b.probe = undefined;
  b.releaseProbe = undefined;
  release?.();
}

/** Records the quota an answer announced. */
export function observe(
  key: string,
  bucket: Bucket,
  headers: { get(name: string): string | null },
  now = Date.now,
): void {
  const b = stateOf(`${key}|${bucket}`);
  const limit = Number(headers.get("ratelimit-limit"));
  const remaining = Number(headers.get("ratelimit-remaining"));
  const reset = Number(headers.get("ratelimit-reset"));
  if (headers.get("ratelimit-limit") !== null && Number.isFinite(limit) && limit > 0) {
    const resetAt = Number.isFinite(reset) ? now() + reset * 1000 : undefined;
    const sameWindow =
      b.resetAt !== undefined && resetAt !== undefined && Math.abs(resetAt - b.resetAt) < 1500;
    if (Number.isFinite(remaining)) {
      // In the same window the lower figure wins: our own count includes requests still in flight.
      b.remaining =
        sameWindow && b.remaining !== undefined ? Math.min(b.remaining, remaining) : Math.max(0, remaining);
    }
    b.limit = limit;
    if (resetAt !== undefined && (!sameWindow || b.resetAt === undefined)) b.resetAt = resetAt;
  } else if (b.limit === undefined) {
    // The server announces no quota for this bucket: stop probing, send freely.
    b.limit = Number.POSITIVE_INFINITY;
  }
  endProbe(b);
}

/** A request got no answer (network error): let the next one probe. */
export function release(key: string, bucket: Bucket): void {
  endProbe(stateOf(`${key}|${bucket}`));
}

/** Forgets every bucket (tests). */
export function resetQuotas(): void {
  store().clear();
}

/** Lower bound of the wall time for `requests` requests under a requests-per-second cap (benchmarks). */
export function rateLimitFloorMs(requests: number, perSecond: number, burst: number): number {
  return (Math.max(0, requests - burst) * 1000) / perSecond;
}

/** Lower bound of the wall time for `requests` requests under a quota of `limit` per `windowMs`. */
export function quotaFloorMs(requests: number, limit: number, windowMs: number): number {
  return Math.max(0, Math.ceil(requests / limit) - 1) * windowMs;
}
