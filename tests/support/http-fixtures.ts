/**
 * Loopback HTTP(S) endpoints for smoke-check tests: healthy answers of every check kind and the
 * faults a deploy gate must catch. Each server listens on port 0 and is closed by the test.
 *
 *   const fx = await startHttpFixtures({ validKey: "k", signingSecret: "s", mcpTools: 3 });
 *   fx.url                       // http://127.0.0.1:<port>
 *   fx.hits("/500")              // how many requests a path got (retry assertions)
 *   await fx.close();
 *   const tls = await startTlsFixture(); // self-signed https server; tls.ca is its certificate
 *
 * Routes: /ok, /slow?ms=N, /500, /json, /json-as-html (JSON body served as text/html), /html,
 * /not-html, /redirect (→ /ok), /redirect-to?url=<url>, /no-credentials (400 when an
 * authorization header arrives), /loop-a ⇄ /loop-b, /me (API key), /mcp (streamable HTTP MCP,
 * `?sse=1` answers as an event stream), /webhook (HMAC-SHA256 `sha256=<hex>`), /jwks,
 * /jwks-empty, /request-id (issues/echoes x-request-id), /no-request-id, /flaky (resets the
 * first connection, then answers 200), /always-reset.
 */
import { execFileSync } from "child_process";
import { createHmac, generateKeyPairSync, randomUUID, timingSafeEqual } from "crypto";
import * as fs from "fs";
import * as http from "http";
import * as https from "https";
import { AddressInfo } from "net";
import * as path from "path";
import { tempDir } from "./engine";

const FIXTURE_JWK = generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey.export({ format: "jwk" });

export interface FixtureOptions {
  validKey?: string;
  signingSecret?: string;
  mcpTools?: number;
}

export interface HttpFixtures {
  url: string;
  hits(path: string): number;
  close(): Promise<void>;
}

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, body: string, url: URL) => void;

function send(res: http.ServerResponse, status: number, type: string, body: string, headers = {}) {
  res.writeHead(status, { "content-type": type, ...headers });
  res.end(body);
}

const json = (res: http.ServerResponse, status: number, value: unknown, headers = {}) =>
  send(res, status, "application/json", JSON.stringify(value), headers);

function mcpHandler(tools: number): Handler {
  const sessions = new Set<string>();
  return (req, res, body, url) => {
    if (req.method !== "POST") return json(res, 405, { error: "POST only" });
    const msg = JSON.parse(body) as { id?: number; method: string; params?: { cursor?: string } };
    const answer = (result: unknown, headers = {}) => {
      const payload = { jsonrpc: "2.0", id: msg.id, result };
      if (url.searchParams.get("sse") === "1") {
        send(res, 200, "text/event-stream", `event: message\ndata: ${JSON.stringify(payload)}\n\n`, headers);
      } else json(res, 200, payload, headers);
    };
    if (msg.method === "initialize") {
      const id = randomUUID();
      sessions.add(id);
      return answer(
        {
          protocolVersion: "2025-06-18",
          capabilities: { tools: {} },
          serverInfo: { name: "fixture", version: "1" },
        },
        { "mcp-session-id": id },
      );
    }
    if (!sessions.has(String(req.headers["mcp-session-id"]))) return json(res, 400, { error: "no session" });
    if (msg.method === "notifications/initialized") {
      res.writeHead(202).end();
      return;
    }
    if (msg.method === "tools/list") {
      // Two pages, to exercise nextCursor.
      const all = Array.from({ length: tools }, (_, i) => ({
        name: `tool_${i}`,
        inputSchema: { type: "object" },
      }));
      const half = Math.ceil(all.length / 2);
      if (msg.params?.cursor === "page2") return answer({ tools: all.slice(half) });
      return answer({ tools: all.slice(0, half), ...(half < all.length ? { nextCursor: "page2" } : {}) });
    }
    json(res, 200, { jsonrpc: "2.0", id: msg.id, error: { code: -32601, message: "method not found" } });
  };
}

function routes(opts: FixtureOptions, hitsOf: (p: string) => number): Record<string, Handler> {
  const validKey = opts.validKey ?? "fixture-valid-key";
  const secret = opts.signingSecret ?? "fixture-signing-secret";
  return {
    "/ok": (_q, res) => send(res, 200, "text/plain", "ok"),
    "/slow": (_q, res, _b, url) => {
      const timer = setTimeout(
        () => send(res, 200, "text/plain", "slow ok"),
        Number(url.searchParams.get("ms") ?? 1000),
      );
      res.on("close", () => clearTimeout(timer));
    },
    "/500": (_q, res) => json(res, 500, { error: "boom" }),
    "/json": (_q, res) => json(res, 200, { status: "ok", build: { version: "1.2.3" }, workers: 3 }),
    "/json-as-html": (_q, res) => send(res, 200, "text/html", JSON.stringify({ status: "ok" })),
    "/html": (_q, res) =>
      send(
        res,
        200,
        "text/html; charset=utf-8",
        "<!DOCTYPE html><html><head><title>Fleet Dashboard</title></head><body>hi</body></html>",
      ),
    "/not-html": (_q, res) => send(res, 200, "text/html", "just some text"),
    "/redirect": (_q, res) => send(res, 302, "text/plain", "", { location: "/ok" }),
    "/redirect-to": (_q, res, _b, url) =>
      send(res, 302, "text/plain", "", { location: url.searchParams.get("url") ?? "/ok" }),
    "/no-credentials": (req, res) =>
      req.headers.authorization
        ? json(res, 400, { error: "credentials were forwarded" })
        : json(res, 200, { ok: true }),
    "/loop-a": (_q, res) => send(res, 302, "text/plain", "", { location: "/loop-b" }),
    "/loop-b": (_q, res) => send(res, 302, "text/plain", "", { location: "/loop-a" }),
    "/me": (req, res) =>
      req.headers.authorization === `Bearer ${validKey}`
        ? json(res, 200, { user: "smoke" })
        : json(res, 401, { error: "bad key" }),
    "/open": (_q, res) => json(res, 200, { user: "anyone" }),
    "/mcp": mcpHandler(opts.mcpTools ?? 3),
    "/webhook": (req, res, body) => {
      const sig = String(req.headers["x-fleetgate-signature"] ?? "");
      const want = `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
      const ok = sig.length === want.length && timingSafeEqual(Buffer.from(sig), Buffer.from(want));
      return ok ? json(res, 200, { received: true }) : json(res, 401, { error: "bad signature" });
    },
    "/webhook-open": (_q, res) => json(res, 200, { received: true }),
    // A real RSA public key: the jwks check parses every key with jose.
    "/jwks": (_q, res) => json(res, 200, { keys: [{ ...FIXTURE_JWK, kid: "k1" }] }),
    "/jwks-empty": (_q, res) => json(res, 200, { keys: [] }),
    "/request-id": (req, res) =>
      send(res, 200, "text/plain", "ok", {
        "x-request-id": String(req.headers["x-request-id"] ?? randomUUID()),
      }),
    "/no-request-id": (_q, res) => send(res, 200, "text/plain", "ok"),
    "/flaky": (req, res) => {
      if (hitsOf("/flaky") === 1) req.socket.destroy();
      else send(res, 200, "text/plain", "ok after a reset");
    },
    "/always-reset": (req) => req.socket.destroy(),
  };
}

function listen(server: http.Server | https.Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port)),
  );
}

function closeServer(server: http.Server | https.Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

function handlerFor(opts: FixtureOptions, counts: Map<string, number>): http.RequestListener {
  const hitsOf = (p: string) => counts.get(p) ?? 0;
  const table = routes(opts, hitsOf);
  return (req, res) => {
    const url = new URL(req.url ?? "/", "http://fixture");
    counts.set(url.pathname, hitsOf(url.pathname) + 1);
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const handler = table[url.pathname];
      if (!handler) return json(res, 404, { error: `no route ${url.pathname}` });
      handler(req, res, Buffer.concat(chunks).toString("utf8"), url);
    });
  };
}

export async function startHttpFixtures(opts: FixtureOptions = {}): Promise<HttpFixtures> {
  const counts = new Map<string, number>();
  const server = http.createServer(handlerFor(opts, counts));
  const port = await listen(server);
  return {
    url: `http://127.0.0.1:${port}`,
    hits: (p) => counts.get(p) ?? 0,
    close: () => closeServer(server),
  };
}

/** An https server with a fresh self-signed certificate for 127.0.0.1; `ca` is that certificate. */
export async function startTlsFixture(): Promise<HttpFixtures & { ca: string }> {
  const dir = tempDir("tls");
  const key = path.join(dir, "key.pem");
  const cert = path.join(dir, "cert.pem");
  execFileSync(
    "openssl",
    ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "1"].concat([
      "-subj",
      "/CN=127.0.0.1",
      "-addext",
      "subjectAltName=IP:127.0.0.1",
    ]),
    { stdio: "ignore" },
  );
  const counts = new Map<string, number>();
  const ca = fs.readFileSync(cert, "utf8");
  const server = https.createServer({ key: fs.readFileSync(key), cert: ca }, handlerFor({}, counts));
  fs.rmSync(dir, { recursive: true, force: true });
  const port = await listen(server);
  return {
    url: `https://127.0.0.1:${port}`,
    ca,
    hits: (p) => counts.get(p) ?? 0,
    close: () => closeServer(server),
  };
}
