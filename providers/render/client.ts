/**
 * A small client for Render's REST API (v1): bearer auth, client-side rate limit, retries of
 * 429/5xx with backoff that honours Retry-After / Ratelimit-Reset, cursor pagination, and errors
 * that name the method, path, status and Render's message but never a secret value (answer
 * bodies are never quoted: an env-var list holds secrets).
 *
 * Plain functions over a settings object (no classes, no captured clients) so dynamic providers
 * can serialize them into their provider process.
 */
import { takeToken } from "./ratelimit";
import { DEFAULT_RETRY, isRetryable, retryDelayMs, RetryPolicy, serverDelayMs } from "./retry";

export interface RenderClientSettings {
  /** API base URL including the version, e.g. `https://api.render.com/v1`. */
  baseUrl: string;
  apiKey: string;
  /** Client-side rate limit (steady requests per second). */
  requestsPerSecond?: number;
  /** Requests allowed at once before the steady rate applies (default: one second's worth). */
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

export const DEFAULT_REQUESTS_PER_SECOND = 10;
/** Render's maximum page size. */
export const PAGE_LIMIT = 100;

/** An error from the Render API or from talking to it; `status` is undefined for network errors. */
export interface RenderApiError extends Error {
  status?: number;
  method: string;
  path: string;
}

export function isRenderApiError(e: unknown): e is RenderApiError {
  return e instanceof Error && (e as RenderApiError).method !== undefined && "path" in e;
}

export function isNotFound(e: unknown): boolean {
  return isRenderApiError(e) && e.status === 404;
}

function apiError(method: string, path: string, status: number | undefined, detail: string): RenderApiError {
  const where = `Render API ${method} ${path}`;
  const message =
    status === undefined ? `${where} failed: ${detail}` : `${where} answered ${status}: ${detail}`;
  return Object.assign(new Error(message), { status, method, path });
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

/** Render's error message from an error answer, if it has one. */
function renderMessage(text: string, contentType: string | null): string {
  try {
    const body = JSON.parse(text) as { message?: unknown };
    if (body && typeof body.message === "string") return body.message;
  } catch {
    // not JSON: describe it below
  }
  return text.trim() === "" ? "(empty answer)" : describeBody(text, contentType);
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
  const url = `${s.baseUrl.replace(/\/+$/, "")}${path}`;
  for (let attempt = 0; ; attempt++) {
    const rate = s.requestsPerSecond ?? DEFAULT_REQUESTS_PER_SECOND;
    await takeToken(s.baseUrl, rate, s.burst ?? Math.max(1, Math.round(rate)));
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
      const text = await res.text();
      const contentType = res.headers.get("content-type");
      if (res.ok) return parseAnswer(method, path, status, text, contentType) as T;
      failure = apiError(method, path, status, renderMessage(text, contentType));
      serverMs = serverDelayMs(res.headers);
    } catch (e) {
      if (isRenderApiError(e)) throw e;
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
