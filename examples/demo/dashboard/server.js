// The demo dashboard: one HTML page showing the gateway's health, rendered on the server.
"use strict";
const { requireEnv, sendJson, serve } = require("../lib/service");

const version = requireEnv("APP_VERSION");
const gatewayUrl = requireEnv("GATEWAY_URL");

const escape = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

async function gatewayHealth(requestId) {
  try {
    const res = await fetch(`${gatewayUrl}/health`, {
      headers: { "x-request-id": requestId },
      signal: AbortSignal.timeout(2000),
    });
    const body = await res.json();
    return { ok: res.ok, text: `${body.status} (version ${body.version})` };
  } catch (err) {
    return { ok: false, text: `unreachable: ${err.message}` };
  }
}

serve("dashboard", async (req, res, { requestId, url }) => {
  if (url.pathname === "/health") return sendJson(res, 200, { status: "ok", service: "dashboard", version });
  if (url.pathname !== "/") return sendJson(res, 404, { error: `no route for ${url.pathname}` });
  const gw = await gatewayHealth(requestId);
  const html = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>fleetgate demo dashboard</title></head>
<body>
<h1>fleetgate demo fleet</h1>
<p>Dashboard version ${escape(version)}</p>
<table>
<tr><th>service</th><th>status</th></tr>
<tr><td>gateway</td><td class="${gw.ok ? "ok" : "down"}">${escape(gw.text)}</td></tr>
</table>
<p>Request id ${escape(requestId)}</p>
</body>
</html>
`;
  res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
  res.end(html);
});
