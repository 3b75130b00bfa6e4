// The demo control plane: an API-key protected API, an MCP (JSON-RPC 2.0 over HTTP) endpoint,
// a webhook endpoint that verifies HMAC-SHA256 signatures, and a JWKS with the key it signs
// its tokens with.
"use strict";
const crypto = require("crypto");
const { requireEnv, sendJson, readBody, serve } = require("../lib/service");
const { TOOLS } = require("./tools");

const env = {
  version: requireEnv("APP_VERSION"),
  apiKey: requireEnv("API_KEY"),
  webhookSecret: requireEnv("WEBHOOK_SIGNING_SECRET"),
  workerUrl: process.env.WORKER_URL || "",
};
const MCP_PROTOCOL = "2025-06-18";
const TOOLS_PAGE = 10;

// The token signing key lives as long as the process; the JWKS publishes its public half.
const { publicKey, privateKey } = crypto.generateKeyPairSync("ed25519");
const kid = crypto
  .createHash("sha256")
  .update(publicKey.export({ format: "der", type: "spki" }))
  .digest("base64url")
  .slice(0, 16);
const jwks = { keys: [{ ...publicKey.export({ format: "jwk" }), kid, use: "sig", alg: "EdDSA" }] };

/** Constant-time comparison of a presented secret with the expected one. */
function sameSecret(given, expected) {
  const a = crypto.createHash("sha256").update(given).digest();
  const b = crypto.createHash("sha256").update(expected).digest();
  return crypto.timingSafeEqual(a, b);
}

function authorized(req) {
  const m = /^Bearer (.+)$/.exec(req.headers.authorization || "");
  return !!m && sameSecret(m[1], env.apiKey);
}

function issueToken(subject) {
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString("base64url");
  const now = Math.floor(Date.now() / 1000);
  const input = `${b64({ alg: "EdDSA", typ: "JWT", kid })}.${b64({ sub: subject, iat: now, exp: now + 600, iss: "fleetgate-demo" })}`;
  return `${input}.${crypto.sign(null, Buffer.from(input), privateKey).toString("base64url")}`;
}

const sessions = new Set();

async function mcpCall(msg) {
  const { method, params = {} } = msg;
  switch (method) {
    case "initialize":
      return {
        protocolVersion: MCP_PROTOCOL,
        capabilities: { tools: { listChanged: false } },
        serverInfo: { name: "fleetgate-demo-control-plane", version: env.version },
      };
    case "ping":
      return {};
    case "tools/list": {
      const start = params.cursor ? Number(Buffer.from(String(params.cursor), "base64url").toString()) : 0;
      if (!Number.isInteger(start) || start < 0)
        throw Object.assign(new Error("invalid cursor"), { code: -32602 });
      const page = TOOLS.slice(start, start + TOOLS_PAGE).map(({ name, description, inputSchema }) => ({
        name,
        description,
        inputSchema,
      }));
      const next =
        start + TOOLS_PAGE < TOOLS.length
          ? Buffer.from(String(start + TOOLS_PAGE)).toString("base64url")
          : undefined;
      return next ? { tools: page, nextCursor: next } : { tools: page };
    }
    case "tools/call": {
      const tool = TOOLS.find((t) => t.name === params.name);
      if (!tool) throw Object.assign(new Error(`unknown tool ${params.name}`), { code: -32602 });
      try {
        const value = await tool.run(params.arguments || {}, env);
        return {
          content: [{ type: "text", text: typeof value === "string" ? value : JSON.stringify(value) }],
          isError: false,
        };
      } catch (err) {
        if (err.code === -32602) throw err;
        return { content: [{ type: "text", text: err.message }], isError: true };
      }
    }
    default:
      throw Object.assign(new Error(`method not found: ${method}`), { code: -32601 });
  }
}

async function mcp(req, res) {
  if (req.method !== "POST") return sendJson(res, 405, { error: "POST JSON-RPC messages here" });
  if (!authorized(req)) return sendJson(res, 401, { error: "missing or invalid API key" });
  let msg;
  try {
    msg = JSON.parse(await readBody(req));
  } catch {
    return sendJson(res, 400, { jsonrpc: "2.0", id: null, error: { code: -32700, message: "parse error" } });
  }
  if (msg.id === undefined) return res.writeHead(202).end(); // a notification
  const headers = {};
  if (msg.method === "initialize") {
    const session = crypto.randomUUID();
    sessions.add(session);
    headers["mcp-session-id"] = session;
  }
  try {
    sendJson(res, 200, { jsonrpc: "2.0", id: msg.id, result: await mcpCall(msg) }, headers);
  } catch (err) {
    sendJson(res, 200, {
      jsonrpc: "2.0",
      id: msg.id,
      error: { code: err.code || -32603, message: err.message },
    });
  }
}

async function webhook(req, res) {
  if (req.method !== "POST") return sendJson(res, 405, { error: "POST events here" });
  const body = await readBody(req);
  const given = String(req.headers["x-fleetgate-signature"] || "");
  if (!given) return sendJson(res, 401, { error: "missing x-fleetgate-signature" });
  const expected = `sha256=${crypto.createHmac("sha256", env.webhookSecret).update(body).digest("hex")}`;
  if (!sameSecret(given, expected)) return sendJson(res, 401, { error: "bad signature" });
  let event;
  try {
    event = JSON.parse(body);
  } catch {
    return sendJson(res, 400, { error: "the payload is not JSON" });
  }
  sendJson(res, 200, { received: event.id || null, type: event.type || null });
}

serve("control-plane", async (req, res, { url }) => {
  switch (url.pathname) {
    case "/health":
      return sendJson(res, 200, {
        status: "ok",
        service: "control-plane",
        version: env.version,
        tools: TOOLS.length,
      });
    case "/.well-known/jwks.json":
      return sendJson(res, 200, jwks, { "cache-control": "max-age=300" });
    case "/v1/me":
      if (!authorized(req)) return sendJson(res, 401, { error: "missing or invalid API key" });
      return sendJson(res, 200, { subject: "demo", scopes: ["fleet:read", "jobs:write"] });
    case "/v1/tokens":
      if (req.method !== "POST") return sendJson(res, 405, { error: "POST to get a token" });
      if (!authorized(req)) return sendJson(res, 401, { error: "missing or invalid API key" });
      return sendJson(res, 201, { token: issueToken("demo"), expiresIn: 600 });
    case "/mcp":
      return mcp(req, res);
    case "/webhooks/events":
      return webhook(req, res);
    default:
      return sendJson(res, 404, { error: `no route for ${url.pathname}` });
  }
});
