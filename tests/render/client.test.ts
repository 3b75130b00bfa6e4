/**
 * The Render API client against the double: pagination, retries (429 with Retry-After, 5xx),
 * no retry on other 4xx, clear errors for bad answers, rate limit, and no secret in any error.
 */
import * as assert from "assert";
import * as net from "net";
import { listAll, renderRequest, RenderClientSettings } from "../../provider/render/client";
import { bucketOf, quotaFloorMs, rateLimitFloorMs } from "../../provider/render/ratelimit";
import { retryDelayMs, serverDelayMs } from "../../provider/render/retry";
import { RenderDouble } from "../support/render-double";

const KEY = "rnd_client_test_key";
const FAST_RETRY = { maxRetries: 3, baseDelayMs: 10, maxDelayMs: 2000 };

describe("render client", () => {
  let render: RenderDouble;
  let s: RenderClientSettings;
  let serviceId: string;

  before(async () => {
    render = await RenderDouble.start({ apiKey: KEY });
  });
  after(() => render.close());
  beforeEach(() => {
    render.clearFaults();
    render.resetRequests();
    render.pageSize = 100;
    s = { baseUrl: render.url, apiKey: KEY, retry: FAST_RETRY, requestsPerSecond: 1000, burst: 1000 };
    serviceId = render.createServiceByHand({
      type: "background_worker",
      name: `svc-${Math.random().toString(36).slice(2, 8)}`,
      ownerId: "tea-test",
      image: { imagePath: "ghcr.io/acme/api:1.0.0" },
    }).id;
  });

  it("follows cursors until an empty page, even when the server caps the page size", async () => {
    for (let i = 0; i < 23; i++) render.setEnvVar(serviceId, `KEY_${i}`, `v${i}`);
    render.pageSize = 5;
    const vars = await listAll<{ key: string; value: string }>(
      s,
      `/services/${serviceId}/env-vars`,
      "envVar",
    );
    assert.strictEqual(vars.length, 23);
    assert.deepStrictEqual(new Set(vars.map((v) => v.key)), new Set(Object.keys(render.envOf(serviceId))));
    // 5 full pages (5,5,5,5,3) and the empty page that ends the list.
    assert.strictEqual(render.count("GET", `/services/${serviceId}/env-vars`), 6);
    assert.ok(render.requests.every((r) => r.query.limit === "100"));
  });

  it("retries a 429 after the server's Retry-After and succeeds", async () => {
    render.addFault({ method: "GET", path: /env-vars$/, status: 429, retryAfter: 1 });
    const retries: number[] = [];
    const started = Date.now();
    await listAll(s, `/services/${serviceId}/env-vars`, "envVar");
    retries.push(Date.now() - started);
    assert.strictEqual(render.requests[0].status, 429);
    assert.strictEqual(render.requests[1].status, 200);
    assert.ok(retries[0] >= 950, `waited ${retries[0]} ms, Retry-After asked for 1 s`);
  });

  it("retries 5xx for idempotent calls and gives up after maxRetries naming the attempts", async () => {
    render.addFault({ method: "PUT", status: 503, times: 2 });
    await renderRequest(s, "PUT", `/services/${serviceId}/env-vars`, [{ key: "A", value: "1" }]);
    assert.deepStrictEqual(render.envOf(serviceId), { A: "1" });

    render.addFault({ method: "PUT", status: 500, times: Infinity });
    await assert.rejects(
      renderRequest(s, "PUT", `/services/${serviceId}/env-vars`, [{ key: "A", value: "2" }]),
      /Render API PUT \/services\/srv-\S+\/env-vars answered 500: internal server error \(after 4 attempts\)/,
    );
  });

  it("does not retry a POST on 5xx (it may have been processed) but does on 429", async () => {
    render.addFault({ method: "POST", path: /\/deploys$/, status: 500 });
    await assert.rejects(renderRequest(s, "POST", `/services/${serviceId}/deploys`, {}), /answered 500/);
    assert.strictEqual(render.count("POST"), 1);
    render.addFault({ method: "POST", path: /\/deploys$/, status: 429, retryAfter: 0 });
    await renderRequest(s, "POST", `/services/${serviceId}/deploys`, {});
    assert.strictEqual(render.count("POST"), 3);
  });

  it("does not retry other 4xx and reports Render's message", async () => {
    await assert.rejects(
      renderRequest(s, "GET", "/services/srv-missing"),
      (e: Error & { status?: number }) => {
        assert.strictEqual(e.status, 404);
        assert.strictEqual(
          e.message,
          "Render API GET /services/srv-missing answered 404: not found: srv-missing",
        );
        return true;
      },
    );
    assert.strictEqual(render.count("GET"), 1);
    await assert.rejects(
      renderRequest({ ...s, apiKey: "wrong" }, "GET", `/services/${serviceId}`),
      /answered 401: unauthorized/,
    );
  });

  it("explains an HTML error page and a truncated JSON answer without quoting the body", async () => {
    render.addFault({
      method: "GET",
      status: 502,
      times: Infinity,
      contentType: "text/html",
      body: "<html><head><title>502 Bad Gateway</title></head><body>upstream secret-ish</body></html>",
    });
    await assert.rejects(renderRequest(s, "GET", `/services/${serviceId}`), (e: Error) => {
      assert.match(
        e.message,
        /GET \/services\/\S+ answered 502: an HTML page \("502 Bad Gateway"\) instead of JSON/,
      );
      assert.doesNotMatch(e.message, /upstream/);
      return true;
    });
    render.clearFaults();
    render.setEnvVar(serviceId, "CANARY", "canary-value-in-truncated-json");
    render.addFault({ method: "GET", path: /env-vars$/, truncate: true });
    await assert.rejects(listAll(s, `/services/${serviceId}/env-vars`, "envVar"), (e: Error) => {
      assert.match(e.message, /answered with malformed JSON \(\d+ bytes, truncated or not JSON\)/);
      assert.doesNotMatch(e.message, /canary/);
      return true;
    });
  });

  it("reports a connection failure with its cause", async () => {
    const closed = net.createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const port = (closed.address() as net.AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const unreachable = {
      ...s,
      baseUrl: `http://127.0.0.1:${port}/v1`,
      retry: { ...FAST_RETRY, maxRetries: 0 },
    };
    await assert.rejects(
      renderRequest(unreachable, "GET", "/services"),
      /Render API GET \/services failed: .*ECONNREFUSED/,
    );
  });

  it("paces requests with the client-side rate limit", async () => {
    const paced = { ...s, baseUrl: `${render.url}/`, requestsPerSecond: 50, burst: 5 };
    const started = Date.now();
    await Promise.all(
      Array.from({ length: 25 }, () => renderRequest(paced, "GET", `/services/${serviceId}`)),
    );
    const elapsed = Date.now() - started;
    const floor = rateLimitFloorMs(25, 50, 5);
    assert.ok(elapsed >= floor - 20, `25 requests at 50/s (burst 5) took ${elapsed} ms, floor ${floor} ms`);
    assert.ok(elapsed < floor + 1000, `took ${elapsed} ms, far above the floor ${floor} ms`);
  });

  it("computes delays from Retry-After, Ratelimit-Reset and backoff with a cap", () => {
    const h = (o: Record<string, string>) => ({ get: (k: string) => o[k.toLowerCase()] ?? null });
    assert.strictEqual(serverDelayMs(h({ "retry-after": "3" })), 3000);
    assert.strictEqual(serverDelayMs(h({ "retry-after": new Date(10_000).toUTCString() }), 4000), 6000);
    assert.strictEqual(serverDelayMs(h({ "ratelimit-remaining": "0", "ratelimit-reset": "7" })), 7000);
    assert.strictEqual(serverDelayMs(h({ "ratelimit-remaining": "12", "ratelimit-reset": "7" })), undefined);
    const policy = { maxRetries: 5, baseDelayMs: 100, maxDelayMs: 1000 };
    assert.strictEqual(retryDelayMs(policy, 0, 60_000), 1000);
    assert.strictEqual(
      retryDelayMs(policy, 2, undefined, () => 1),
      400,
    );
    assert.strictEqual(
      retryDelayMs(policy, 10, undefined, () => 1),
      1000,
    );
  });
});

describe("render client pacing by Render's announced quotas", function () {
  this.timeout(60_000);

  it("sorts calls into Render's buckets", () => {
    assert.strictEqual(bucketOf("GET", "/services/srv-1/env-vars?limit=100"), "get");
    assert.strictEqual(bucketOf("PUT", "/services/srv-1/env-vars"), "write");
    assert.strictEqual(bucketOf("PATCH", "/services/srv-1"), "write");
    assert.strictEqual(bucketOf("POST", "/services/srv-1/deploys"), "deploy");
    assert.strictEqual(bucketOf("POST", "/services/srv-1/rollback"), "deploy");
    assert.strictEqual(bucketOf("POST", "/services/srv-1/scale"), "scale");
  });

  it("a burst of reads and writes stays within each bucket's quota: no 429, reads not held up by writes", async () => {
    const render = await RenderDouble.start({
      apiKey: KEY,
      rateLimits: { get: { limit: 40, windowMs: 1000 }, write: { limit: 5, windowMs: 1000 } },
    });
    try {
      const ids = Array.from(
        { length: 15 },
        (_, i) =>
          render.createServiceByHand({
            type: "background_worker",
            name: `quota-${i}`,
            ownerId: "tea-test",
            image: { imagePath: "ghcr.io/acme/api:1.0.0" },
          }).id,
      );
      // No client-side cap: only the Ratelimit headers pace the calls.
      const s: RenderClientSettings = { baseUrl: render.url, apiKey: KEY, retry: FAST_RETRY };
      const started = Date.now();
      let readsDone = 0;
      let writesDone = 0;
      const reads = Promise.all(
        Array.from({ length: 60 }, (_, i) => renderRequest(s, "GET", `/services/${ids[i % ids.length]}`)),
      ).then(() => (readsDone = Date.now() - started));
      const writes = Promise.all(
        ids.map((id) => renderRequest(s, "PUT", `/services/${id}/env-vars`, [{ key: "A", value: "1" }])),
      ).then(() => (writesDone = Date.now() - started));
      await Promise.all([reads, writes]);
      assert.strictEqual(render.throttled, 0, "no request was refused with 429");
      assert.strictEqual(render.requests.filter((r) => r.status === 429).length, 0);
      assert.ok(
        writesDone >= quotaFloorMs(15, 5, 1000) - 50,
        `15 writes at 5/s took ${writesDone} ms (floor ${quotaFloorMs(15, 5, 1000)} ms)`,
      );
      assert.ok(
        readsDone < writesDone,
        `reads (${readsDone} ms) waited for the writes' bucket (${writesDone} ms)`,
      );
    } finally {
      await render.close();
    }
  });
});
