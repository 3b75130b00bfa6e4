/**
 * Which Render API failures are retried and how long to wait before the next attempt.
 * Pure functions: the client calls them, tests check them directly.
 */

export interface RetryPolicy {
  /** Retries after the first attempt. */
  maxRetries: number;
  /** First backoff; doubles with every attempt. */
  baseDelayMs: number;
  /** Cap on any single wait, including a server's Retry-After. */
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxRetries: 4, baseDelayMs: 250, maxDelayMs: 10_000 };

/**
 * 429 is always safe to retry (the request was refused, not processed). 5xx and network errors are
 * retried only for idempotent requests: a POST that failed half way may have created something.
 */
export function isRetryable(status: number | undefined, idempotent: boolean): boolean {
  if (status === 429) return true;
  if (status === undefined || status >= 500) return idempotent;
  return false;
}

/** Reads `Retry-After` (seconds or HTTP date) or, when the quota is spent, `Ratelimit-Reset` (seconds). */
export function serverDelayMs(
  headers: { get(name: string): string | null },
  now = Date.now(),
): number | undefined {
  const retryAfter = headers.get("retry-after");
  if (retryAfter) {
    const seconds = Number(retryAfter);
    if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
    const date = Date.parse(retryAfter);
    if (!Number.isNaN(date)) return Math.max(0, date - now);
  }
  const remaining = headers.get("ratelimit-remaining");
  const reset = headers.get("ratelimit-reset");
  if (remaining === "0" && reset && Number.isFinite(Number(reset))) return Math.max(0, Number(reset) * 1000);
  return undefined;
}

/** The wait before retry number `attempt` (0-based): the server's wish if any, else jittered exponential. */
export function retryDelayMs(
  policy: RetryPolicy,
  attempt: number,
  serverMs?: number,
  random = Math.random,
): number {
  if (serverMs !== undefined) return Math.min(policy.maxDelayMs, serverMs);
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
  return Math.round(exp / 2 + (random() * exp) / 2);
}
