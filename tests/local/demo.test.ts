/**
 * The demo fleet's services on their own (no engine): each started as a real process on a
 * free loopback port with only its environment for configuration.
 */
import * as assert from "assert";
import { ChildProcess, spawn } from "child_process";
import { createHmac, createPublicKey, verify } from "crypto";
import * as path from "path";
import { REPO_ROOT, tempDir } from "../support/engine";
import { freeServicePort } from "./support";

const API_KEY = "test-api-key-0123456789";
const SIGNING_SECRET = "test-signing-secret";

async function start(
  script: string,
  env: Record<string, string>,
): Promise<{ url: string; proc: ChildProcess }> {
  const port = await freeServicePort();
  const proc = spawn(process.execPath, [path.join(REPO_ROOT, "examples/demo", script)], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? "", PORT: String(port), ...env },
    stdio: "ignore",
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`${url}/health`)).ok) return { url, proc };
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  proc.kill("SIGKILL");
  throw new Error(`${script} did not become healthy`);
}

async function rpc(url: string, method: string, params: object = {}, key = API_KEY) {
  const res = await fetch(`${url}/mcp`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  return { status: res.status, body: (await res.json()) as { result?: any; error?: any } }; // eslint-disable-line @typescript-eslint/no-explicit-any
}

describe("demo fleet services", function () {
  this.timeout(30_000);
  const procs: ChildProcess[] = [];
  let worker: string;
  let controlPlane: string;
  let gateway: string;

  before(async () => {
    const dir = tempDir("demo");
    const w = await start("worker/worker.js", {
      DATABASE_PATH: path.join(dir, "demo.duckdb"),
      TICK_MS: "200",
    });
    worker = w.url;
    const cp = await start("control-plane/server.js", {
      APP_VERSION: "9.9.9",
      API_KEY,
      WEBHOOK_SIGNING_SECRET: SIGNING_SECRET,
      WORKER_URL: worker,
    });
    controlPlane = cp.url;
    const gw = await start("gateway/server.js", { APP_VERSION: "1.0.0", CONTROL_PLANE_URL: controlPlane });
    gateway = gw.url;
    procs.push(w.proc, cp.proc, gw.proc);
  });
  after(() => procs.forEach((p) => p.kill("SIGTERM")));

  it("a service without its configuration stops with a message naming the variable", async () => {
    const proc = spawn(process.execPath, [path.join(REPO_ROOT, "examples/demo/gateway/server.js")], {
      env: { PORT: "1" },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    proc.stderr!.on("data", (c) => (stderr += c));
    const code = await new Promise((r) => proc.on("exit", r));
    assert.strictEqual(code, 2);
    assert.match(stderr, /APP_VERSION is not set/);
  });

  it("gateway: /health with its version; /api forwarded with the request id kept or created", async () => {
    assert.deepStrictEqual(await (await fetch(`${gateway}/health`)).json(), {
      status: "ok",
      service: "gateway",
      version: "1.0.0",
    });
    const given = await fetch(`${gateway}/api/v1/me`, {
      headers: { authorization: `Bearer ${API_KEY}`, "x-request-id": "req-42" },
    });
    assert.strictEqual(given.status, 200);
    assert.strictEqual(given.headers.get("x-request-id"), "req-42");
    const fresh = await fetch(`${gateway}/api/v1/me`);
    assert.strictEqual(fresh.status, 401);
    assert.match(fresh.headers.get("x-request-id") ?? "", /^[0-9a-f-]{36}$/);
  });

  it("control plane: MCP lists at least 20 tools over pages and calls them; refuses a bad key", async () => {
    const init = await rpc(controlPlane, "initialize", { protocolVersion: "2025-06-18" });
    assert.strictEqual(init.body.result.serverInfo.version, "9.9.9");
    const names: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await rpc(controlPlane, "tools/list", cursor ? { cursor } : {});
      names.push(...page.body.result.tools.map((t: { name: string }) => t.name));
      cursor = page.body.result.nextCursor;
    } while (cursor);
    assert.ok(names.length >= 20, `${names.length} tools`);
    assert.strictEqual(new Set(names).size, names.length);
    const sum = await rpc(controlPlane, "tools/call", { name: "add", arguments: { a: 2, b: 40 } });
    assert.strictEqual(sum.body.result.content[0].text, "42");
    const bad = await rpc(controlPlane, "tools/call", { name: "add", arguments: { a: "x" } });
    assert.strictEqual(bad.body.error.code, -32602);
    assert.strictEqual((await rpc(controlPlane, "tools/list", {}, "wrong")).status, 401);
  });

  it("control plane: webhooks need a valid HMAC-SHA256 signature", async () => {
    const body = JSON.stringify({ id: "evt_1", type: "test" });
    const post = (signature?: string) =>
      fetch(`${controlPlane}/webhooks/events`, {
        method: "POST",
        headers: signature ? { "x-fleetgate-signature": signature } : {},
        body,
      });
    assert.strictEqual((await post()).status, 401);
    assert.strictEqual((await post("sha256=00")).status, 401);
    const good = `sha256=${createHmac("sha256", SIGNING_SECRET).update(body).digest("hex")}`;
    const ok = await post(good);
    assert.strictEqual(ok.status, 200);
    assert.deepStrictEqual(await ok.json(), { received: "evt_1", type: "test" });
  });

  it("control plane: a token it issues verifies against its JWKS", async () => {
    const { token } = (await (
      await fetch(`${controlPlane}/v1/tokens`, {
        method: "POST",
        headers: { authorization: `Bearer ${API_KEY}` },
      })
    ).json()) as { token: string };
    const jwks = (await (await fetch(`${controlPlane}/.well-known/jwks.json`)).json()) as { keys: object[] };
    const [h, p, sig] = token.split(".");
    const key = createPublicKey({ key: jwks.keys[0] as never, format: "jwk" });
    assert.ok(verify(null, Buffer.from(`${h}.${p}`), key, Buffer.from(sig, "base64url")));
  });

  it("worker: migrations applied, and a job queued through the MCP tool is processed", async () => {
    const health = (await (await fetch(`${worker}/health`)).json()) as { migrations: number };
    assert.strictEqual(health.migrations, 3);
    const queued = await rpc(controlPlane, "tools/call", {
      name: "enqueue_job",
      arguments: { kind: "resize", payload: "img-1" },
    });
    assert.strictEqual(queued.body.result.isError, false);
    let processed = 0;
    for (let i = 0; i < 50 && processed < 1; i++) {
      await new Promise((r) => setTimeout(r, 100));
      processed = ((await (await fetch(`${worker}/health`)).json()) as { processed: number }).processed;
    }
    assert.strictEqual(processed, 1);
  });
});
