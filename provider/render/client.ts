/**
 * A small client for Render's REST API (v1): bearer auth, pacing by Render's announced quotas per
 * bucket (ratelimit.ts), retries of
 * 429/5xx with backoff that honours Retry-After / Ratelimit-Reset, cursor pagination, and errors
 * that name the method, path, status and Render's message but never a secret value (answer
 * bodies are never quoted: an env-var list holds secrets).
 *
 * Plain functions over a settings object (no classes, no captured clients) so dynamic providers
 * can serialize them into their provider process.
 */
import { acquire, bucketOf, observe, release } from "./ratelimit";
import { DEFAULT_RETRY, isRetryable, retryDelayMs, RetryPolicy, serverDelayMs } from "./retry";

export interface RenderClientSettings {
  /** API base URL including the version, e.g. `https://api.render.com/v1`. */
  baseUrl: string;
  apiKey: string;
  /**
   * Optional cap (steady requests per second) on top of Render's announced quotas; unset, calls
   * are paced only by the `Ratelimit-*` headers of each bucket.
   */
  requestsPerSecond?: number;
  /** Requests allowed at once before the cap's steady rate applies (default: one second's worth). */
  burst?: number;
  retry?: RetryPolicy;
  /** Per-attempt timeout. */
  timeoutMs?: number;
  /** Called before each retry (for logs and tests); gets no body or header values. */
  onRetry?: (info: {
    method: string;
    path: string;
    status?: number;
    attempt: number;
    delayMs: number;
  }) => void;
}

/** Render's maximum page size. */
export const PAGE_LIMIT = 100;

/** An error from the Render API or from talking to it; `status` is undefined for network errors. */
export interface RenderApiError extends Error {
  status?: number;
  method: string;
  path: string;
  /** Render's own `message` from a JSON error answer, when there was one. */
  apiMessage?: string;
}

export function isRenderApiError(e: unknown): e is RenderApiError {
  return e instanceof Error && (e as RenderApiError).method !== undefined && "path" in e;
}

export function isNotFound(e: unknown): boolean {
  return isRenderApiError(e) && e.status === 404;
}

/**
 * True only when Render itself says the object `id` does not exist: a 404 whose JSON message is
 * Render's `not found` (naming the id when it names one), while the same key can still list
 * services. A 404 from a wrong base path or a proxy (HTML, no message) is an error, never "gone".
 */
export async function isGone(s: RenderClientSettings, e: unknown, id: string): Promise<boolean> {
  if (!isRenderApiError(e) || e.status !== 404 || !e.apiMessage) return false;
  const m = e.apiMessage.toLowerCase();
  if (!m.includes("not found")) return false;
  if (/not found: \S+/.test(m) && !m.includes(id.toLowerCase())) return false;
  try {
    const probe = await renderRequest<unknown>(s, "GET", "/services?limit=1");
    return Array.isArray(probe);
  } catch {
    return false;
  }
}

function apiError(
  method: string,
  path: string,
  status: number | undefined,
  detail: string,
  apiMessage?: string,
): RenderApiError {
  const where = `Render API ${method} ${path}`;
  const message =
    status === undefined ? `${where} failed: ${detail}` : `${where} answered ${status}: ${detail}`;
  return Object.assign(new Error(message), { status, method, path, apiMessage });
}

/** What an answer says about itself, without quoting its body. */
function describeBody(text: string, contentType: string | null): string {
  if (/text\/html/i.test(contentType ?? "") || /^\s*</.test(text)) {
    const title = /<title[^>]*>([^<]{0,120})<\/title>/i.exec(text)?.[1]?.trim();
    return `an HTML page${title ? ` ("${title}")` : ""} instead of JSON; check the base URL and any proxy in between`;
  }
  return `malformed JSON (${text.length} bytes, truncated or not JSON)`;
}

/** Parses an answer: JSON, or undefined when empty; throws a clear error otherwise. */
function parseAnswer(method: string, path: string, status: number, text: string, contentType: string | null) {
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw apiError(method, path, status, `answered with ${describeBody(text, contentType)}`);
  }
}

/** Render's own error message from a JSON error answer, if it has one. */
function jsonMessage(text: string): string | undefined {
  try {
    const body = JSON.parse(text) as { message?: unknown };
    if (body && typeof body.message === "string") return body.message;
  } catch {
    // not JSON
  }
  return undefined;
}

/** Render's error message, or a description of an answer that has none. */
function renderMessage(text: string, contentType: string | null): string {
  return jsonMessage(text) ?? (text.trim() === "" ? "(empty answer)" : describeBody(text, contentType));
}

export interface RequestOptions {
  /** Retry 5xx and network errors even for POST (the call is safe to repeat). */
  idempotent?: boolean;
}

/**
 * One API call with rate limit and retries. `path` is relative to the base URL (`/services/...`).
 * Returns the parsed JSON answer, or undefined for an empty answer (202, 204).
 */
export async function renderRequest<T = unknown>(
  s: RenderClientSettings,
  method: string,
  path: string,
  body?: unknown,
  opts: RequestOptions = {},
): Promise<T> {
  const policy = s.retry ?? DEFAULT_RETRY;
  const idempotent = opts.idempotent ?? method !== "POST";
  const base = s.baseUrl.replace(/\/+$/, "");
  const url = `${base}${path}`;
  const bucket = bucketOf(method, path);
  const rate = s.requestsPerSecond;
  const cap = rate ? { perSecond: rate, burst: s.burst ?? Math.max(1, Math.round(rate)) } : undefined;
  for (let attempt = 0; ; attempt++) {
    await acquire(base, bucket, cap);
    let status: number | undefined;
    let failure: RenderApiError;
    let serverMs: number | undefined;
    try {
      const res = await fetch(url, {
        method,
        headers: {
          Authorization: `Bearer ${s.apiKey}`,
          Accept: "application/json",
          ...(body !== undefined ? { "Content-Type": "application/json" } : {}),
        },
        body: body !== undefined ? JSON.stringify(body) : undefined,
        signal: AbortSignal.timeout(s.timeoutMs ?? 30_000),
      });
      status = res.status;
      observe(base, bucket, res.headers);
      const text = await res.text();
      const contentType = res.headers.get("content-type");
      if (res.ok) return parseAnswer(method, path, status, text, contentType) as T;
      failure = apiError(method, path, status, renderMessage(text, contentType), jsonMessage(text));
      serverMs = serverDelayMs(res.headers);
    } catch (e) {
      if (isRenderApiError(e)) throw e;
      if (status === undefined) release(base, bucket);
      const err = e as Error;
      const reason =
        err.name === "TimeoutError" ? `no answer within ${s.timeoutMs ?? 30_000} ms` : err.message;
      const c = (err as { cause?: { code?: string; message?: string } }).cause;
      const cause = c?.code ?? c?.message;
      failure = apiError(method, path, undefined, `${reason}${cause ? ` (${cause})` : ""}`);
    }
    if (!isRetryable(status, idempotent) || attempt >= policy.maxRetries) {
      if (attempt > 0) failure.message += ` (after ${attempt + 1} attempts)`;
      throw failure;
    }
    const delayMs = retryDelayMs(policy, attempt, serverMs);
    s.onRetry?.({ method, path, status, attempt: attempt + 1, delayMs });
    await new Promise((resolve) => setTimeout(resolve, delayMs));
  }
}

/**
 * Every item of a cursor-paginated list (`[{<key>: item, cursor}]`): follows `cursor=<last>` until
 * an empty page, as Render documents (a short page is not the end: the server may cap `limit`).
 */
export async function listAll<T>(
  s: RenderClientSettings,
  path: string,
  envelopeKey: string,
  query: Record<string, string> = {},
): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  const seen = new Set<string>();
  for (;;) {
    const params = new URLSearchParams({ ...query, limit: String(PAGE_LIMIT) });
    if (cursor) params.set("cursor", cursor);
    const fullPath = `${path}?${params}`;
    const page = await renderRequest<unknown>(s, "GET", fullPath);
    if (!Array.isArray(page)) {
      throw apiError(
        "GET",
        path,
        200,
        `answered with ${page === undefined ? "nothing" : "an object"} where a list was expected`,
      );
    }
    if (page.length === 0) return items;
    for (const entry of page as Record<string, unknown>[]) {
      if (!entry || typeof entry !== "object" || !(envelopeKey in entry)) {
        throw apiError("GET", path, 200, `answered with a list entry without "${envelopeKey}"`);
      }
      items.push(entry[envelopeKey] as T);
    }
    const last = (page[page.length - 1] as { cursor?: unknown }).cursor;
    if (typeof last !== "string" || !last)
      throw apiError("GET", path, 200, "answered with a page without a cursor");
    // A cursor seen before would loop forever: stop with an error instead.
    if (seen.has(last)) throw apiError("GET", path, 200, "answered with a cursor it already returned");
    seen.add(last);
    cursor = last;
  }
}
