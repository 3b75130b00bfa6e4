/**
 * One HTTP exchange for a check: undici with a hard deadline, redirects followed by hand (so a
 * loop is reported as a loop), TLS verified against the system CAs plus an optional extra CA,
 * and low-level errors translated into reasons a reader can act on.
 */
import type { Dispatcher } from "undici";
import { checkFailed, transientError } from "./failure";

export interface HttpRequest {
  url: string;
  method?: "GET" | "POST";
  headers?: Record<string, string>;
  body?: string;
  timeoutMs: number;
  /** PEM CA to trust in addition to the system's. */
  ca?: string;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** URL of the final answer, after redirects. */
  url: string;
}

const MAX_REDIRECTS = 5;
/** Bodies larger than this are cut: a smoke check never needs more. */
const MAX_BODY_BYTES = 1024 * 1024;

// Module-level lookups are plain arrays and objects, never Sets or Maps: Pulumi's closure
// serializer does not rebuild a captured Set, and this module travels with the suite's provider.

/** Error codes of a connection that did not happen or broke: worth one more try. */
const TRANSIENT_CODES = [
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "EAI_AGAIN",
  "ENOTFOUND",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
];

const TLS_CODES: Record<string, string> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: "self-signed certificate",
  SELF_SIGNED_CERT_IN_CHAIN: "self-signed certificate in the chain",
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "certificate chain cannot be verified",
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: "unknown certificate issuer",
  CERT_HAS_EXPIRED: "certificate has expired",
  ERR_TLS_CERT_ALTNAME_INVALID: "certificate does not match the host name",
};

function errorCode(err: unknown): string | undefined {
  const e = err as { code?: string; cause?: { code?: string } };
  return e?.cause?.code ?? e?.code;
}

/** Turns an undici/Node error into a check failure with a reason that says what to fix. */
function explain(err: unknown, url: string, timeoutMs: number, timedOut: boolean): Error {
  const code = errorCode(err);
  if (timedOut) return checkFailed(`no answer within the ${timeoutMs} ms timeout`);
  if (code && TLS_CODES[code]) {
    return checkFailed(`TLS: ${TLS_CODES[code]} (${code}); serve a trusted certificate or give its CA`);
  }
  const host = new URL(url).host;
  if (code && TRANSIENT_CODES.includes(code)) return transientError(`cannot connect to ${host} (${code})`);
  const message = err instanceof Error ? err.message : String(err);
  return checkFailed(`request to ${host} failed: ${code ? `${code} ` : ""}${message}`);
}

async function readBody(body: Dispatcher.ResponseData["body"]): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buf = Buffer.from(chunk as Uint8Array);
    size += buf.length;
    if (size > MAX_BODY_BYTES) {
      chunks.push(buf.subarray(0, buf.length - (size - MAX_BODY_BYTES)));
      body.destroy();
      break;
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function flatHeaders(h: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k.toLowerCase()] = [v].flat().join(", ");
  return out;
}

/** Headers that carry no credentials: the only ones sent on after a redirect to another origin. */
const SAFE_HEADERS = ["accept", "content-type", "user-agent"];

function safeHeaders(headers: Record<string, string> = {}): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([k]) => SAFE_HEADERS.includes(k.toLowerCase())));
}

/**
 * Sends one request (following up to 5 redirects, GET after a 301/302/303; credentials are not
 * sent on to another origin) within `timeoutMs` in total, and returns the final answer whatever
 * its status.
 */
export async function httpRequest(req: HttpRequest): Promise<HttpResponse> {
  const undici = require("undici") as typeof import("undici");
  const tls = require("tls") as typeof import("tls");
  const dispatcher = new undici.Agent({
    connect: req.ca ? { ca: [...tls.rootCertificates, req.ca] } : {},
    keepAliveTimeout: 1,
  });
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, req.timeoutMs);
  const seen = new Set<string>();
  let url = req.url;
  let method = req.method ?? "GET";
  let body = req.body;
  let headers = req.headers;
  try {
    for (let hop = 0; ; hop++) {
      seen.add(url);
      const res = await undici.request(url, {
        method,
        headers,
        body,
        signal: controller.signal,
        dispatcher,
      });
      const location = res.headers.location;
      if (res.statusCode >= 300 && res.statusCode < 400 && typeof location === "string") {
        await res.body.dump();
        const next = new URL(location, url).toString();
        if (seen.has(next)) throw checkFailed(`redirect loop: ${new URL(next).pathname} redirects back`);
        if (hop >= MAX_REDIRECTS) throw checkFailed(`more than ${MAX_REDIRECTS} redirects`);
        if (res.statusCode !== 307 && res.statusCode !== 308) {
          method = "GET";
          body = undefined;
        }
        if (new URL(next).origin !== new URL(url).origin) headers = safeHeaders(headers);
        url = next;
        continue;
      }
      const text = await readBody(res.body);
      return { status: res.statusCode, headers: flatHeaders(res.headers), body: text, url };
    }
  } catch (err) {
    if ((err as { checkFailure?: string }).checkFailure) throw err;
    throw explain(err, url, req.timeoutMs, timedOut);
  } finally {
    clearTimeout(timer);
    dispatcher.destroy().catch(() => undefined);
  }
}

/** The media type of a response, lower case without parameters (`application/json`). */
export function mediaType(res: HttpResponse): string {
  return (res.headers["content-type"] ?? "").split(";")[0].trim().toLowerCase();
}

export function isJsonType(type: string): boolean {
  return type === "application/json" || type.endsWith("+json");
}

/** Fails unless the status is 2xx. */
export function expectOk(res: HttpResponse): void {
  if (res.status < 200 || res.status > 299) throw checkFailed(`answered ${res.status}, expected 2xx`);
}

/** Parses a JSON body, failing on a non-JSON content type or body. */
export function jsonBody(res: HttpResponse): unknown {
  const type = mediaType(res);
  if (!isJsonType(type)) throw checkFailed(`expected a JSON answer, got content type "${type || "none"}"`);
  try {
    return JSON.parse(res.body);
  } catch {
    throw checkFailed("the answer is not valid JSON");
  }
}
