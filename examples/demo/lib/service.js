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

/** Upper bounds (seconds) of the request-duration histogram buckets. */
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * Request metrics in the Prometheus text format: `http_requests_total{code}` and the
 * `http_request_duration_seconds` histogram (the names the generated alert rules use). The
 * scrape config adds the `service` label, so the service does not repeat its own name here.
 */
function requestMetrics() {
  const byCode = new Map();
  const counts = BUCKETS.map(() => 0);
  let count = 0;
  let sum = 0;
  return {
    observe(status, seconds) {
      byCode.set(status, (byCode.get(status) || 0) + 1);
      BUCKETS.forEach((le, i) => {
        if (seconds <= le) counts[i]++;
      });
      count++;
      sum += seconds;
    },
    render() {
      const lines = [
        "# HELP http_requests_total HTTP requests answered, by status code.",
        "# TYPE http_requests_total counter",
        ...[...byCode].map(([code, n]) => `http_requests_total{code="${code}"} ${n}`),
        "# HELP http_request_duration_seconds Time to answer an HTTP request.",
        "# TYPE http_request_duration_seconds histogram",
        ...BUCKETS.map((le, i) => `http_request_duration_seconds_bucket{le="${le}"} ${counts[i]}`),
        `http_request_duration_seconds_bucket{le="+Inf"} ${count}`,
        `http_request_duration_seconds_sum ${sum}`,
        `http_request_duration_seconds_count ${count}`,
      ];
      return `${lines.join("\n")}\n`;
    },
  };
}

/**
 * Serves `handler(req, res, ctx)` on 127.0.0.1:$PORT. GET /metrics answers the request metrics
 * (Prometheus text format; scrapes are not counted). Every answer carries x-request-id;
 * errors become 500 without details; SIGTERM closes the server and exits.
 */
function serve(name, handler) {
  const port = Number(requireEnv("PORT"));
  const metrics = requestMetrics();
  const server = http.createServer(async (req, res) => {
    if (req.method === "GET" && req.url === "/metrics") {
      res.writeHead(200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" });
      return res.end(metrics.render());
    }
    const started = Date.now();
    const id = requestId(req);
    res.setHeader("x-request-id", id);
    res.on("finish", () => metrics.observe(res.statusCode, (Date.now() - started) / 1000));
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
