// Shared plumbing of the demo services: configuration from the environment only, JSON
// answers, request ids, one JSON log line per request, and a clean stop on SIGTERM.
"use strict";
const http = require("http");
const { randomUUID } = require("crypto");

/** A required env var; a missing one stops the service with a message naming it. */
function requireEnv(name) {
  const value = process.env[name];
  if (value === undefined || value === "") {
    console.error(`config error: environment variable ${name} is not set`);
    process.exit(2);
  }
  return value;
}

function sendJson(res, status, body, headers = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** Reads the request body (at most `limit` bytes) as a string. */
function readBody(req, limit = 1024 * 1024) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on("data", (c) => {
      size += c.length;
      if (size > limit) {
        reject(Object.assign(new Error("body too large"), { status: 413 }));
        req.destroy();
      } else chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

/** The request's id: the caller's `x-request-id` when sane, else a new one. */
function requestId(req) {
  const given = req.headers["x-request-id"];
  return typeof given === "string" && /^[\w.:-]{1,128}$/.test(given) ? given : randomUUID();
}

/**
 * Serves `handler(req, res, ctx)` on 127.0.0.1:$PORT. Every answer carries x-request-id;
 * errors become 500 without details; SIGTERM closes the server and exits.
 */
function serve(name, handler) {
  const port = Number(requireEnv("PORT"));
  const server = http.createServer(async (req, res) => {
    const started = Date.now();
    const id = requestId(req);
    res.setHeader("x-request-id", id);
    res.on("finish", () =>
      console.log(
        JSON.stringify({
          service: name,
          requestId: id,
          method: req.method,
          path: req.url,
          status: res.statusCode,
          ms: Date.now() - started,
        }),
      ),
    );
    try {
      await handler(req, res, { requestId: id, url: new URL(req.url, "http://localhost") });
    } catch (err) {
      console.error(JSON.stringify({ service: name, requestId: id, error: err.message }));
      if (!res.headersSent)
        sendJson(res, err.status || 500, { error: err.status ? err.message : "internal error" });
      else res.destroy();
    }
  });
  server.listen(port, "127.0.0.1", () => console.log(`${name} listening on http://127.0.0.1:${port}`));
  const stop = () => {
    server.close(() => process.exit(0));
    server.closeIdleConnections();
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  return server;
}

module.exports = { requireEnv, sendJson, readBody, requestId, serve };
