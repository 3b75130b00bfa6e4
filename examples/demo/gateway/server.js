// The demo gateway: /health with its version, and /api/* forwarded to the control plane
// with the request id propagated (or created here).
"use strict";
const http = require("http");
const { requireEnv, sendJson, serve } = require("../lib/service");

const version = requireEnv("APP_VERSION");
const controlPlane = new URL(requireEnv("CONTROL_PLANE_URL"));
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "transfer-encoding",
  "upgrade",
  "host",
  "proxy-authorization",
]);

function forward(req, res, requestId, path) {
  const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => !HOP_BY_HOP.has(k)));
  headers["x-request-id"] = requestId;
  headers["x-forwarded-for"] = req.socket.remoteAddress || "";
  return new Promise((resolve) => {
    const upstream = http.request(
      {
        hostname: controlPlane.hostname,
        port: controlPlane.port,
        path,
        method: req.method,
        headers,
        timeout: 10000,
      },
      (up) => {
        const out = Object.fromEntries(Object.entries(up.headers).filter(([k]) => !HOP_BY_HOP.has(k)));
        res.writeHead(up.statusCode || 502, { ...out, "x-request-id": requestId });
        up.pipe(res);
        up.on("end", resolve);
      },
    );
    upstream.on("timeout", () => upstream.destroy(new Error("control plane timed out")));
    upstream.on("error", (err) => {
      if (!res.headersSent) sendJson(res, 502, { error: `control plane unreachable: ${err.message}` });
      resolve();
    });
    req.pipe(upstream);
  });
}

serve("gateway", async (req, res, { requestId, url }) => {
  if (url.pathname === "/health") {
    return sendJson(res, 200, { status: "ok", service: "gateway", version });
  }
  if (url.pathname === "/api" || url.pathname.startsWith("/api/")) {
    return forward(req, res, requestId, (url.pathname.slice(4) || "/") + url.search);
  }
  sendJson(res, 404, { error: `no route for ${url.pathname}` });
});
