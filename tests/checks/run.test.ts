/** The shared check library against real loopback endpoints with faults. */
import * as assert from "assert";
import { formatResultTable, runChecks } from "../../lib/checks/run";
import { CheckResult, ResolvedCheck } from "../../lib/checks/types";
import { HttpFixtures, startHttpFixtures, startTlsFixture } from "../support/http-fixtures";

const VALID_KEY = "smoke-key-5f2a9c";
const SIGNING_SECRET = "whsec-test-81b7";

let fx: HttpFixtures;
before(async () => {
  fx = await startHttpFixtures({ validKey: VALID_KEY, signingSecret: SIGNING_SECRET, mcpTools: 5 });
});
after(() => fx.close());

/** A resolved check on the fixture server; `extra` carries the kind's own fields. */
function check(name: string, kind: ResolvedCheck["kind"], path: string, extra: Record<string, unknown> = {}) {
  return {
    name,
    kind,
    target: "fixture",
    path,
    url: `${fx.url}${path}`,
    timeoutMs: 2000,
    ...extra,
  } as ResolvedCheck;
}

async function one(c: ResolvedCheck, retries = 1): Promise<CheckResult> {
  const [r] = await runChecks([c], { retries });
  return r;
}

function assertFail(r: CheckResult, reason: RegExp) {
  assert.strictEqual(r.status, "fail", `expected ${r.check} to fail, got: ${r.reason}`);
  assert.match(r.reason, reason);
}

function assertPass(r: CheckResult) {
  assert.strictEqual(r.status, "pass", `expected ${r.check} to pass, got: ${r.reason}`);
}

describe("checks: http status and latency", () => {
  it("passes on the expected status", async () =>
    assertPass(await one(check("ok", "http", "/ok", { expectStatus: 200 }))));

  it("fails on a 500 and does not retry a failed assertion", async () => {
    const before = fx.hits("/500");
    assertFail(
      await one(check("five", "http", "/500", { expectStatus: 200 }), 3),
      /answered 500, expected 200/,
    );
    assert.strictEqual(fx.hits("/500") - before, 1);
  });

  it("fails an endpoint slower than the timeout, promptly", async () => {
    const started = Date.now();
    const r = await one(check("slow", "http", "/slow?ms=3000", { expectStatus: 200, timeoutMs: 300 }));
    assertFail(r, /no answer within the 300 ms timeout/);
    assert.ok(Date.now() - started < 1500, `took ${Date.now() - started} ms`);
  });

  it("fails an answer over the latency budget", async () => {
    const r = await one(check("budget", "http", "/slow?ms=250", { expectStatus: 200, latencyBudgetMs: 100 }));
    assertFail(r, /took \d+ ms, budget 100 ms/);
  });

  it("follows a redirect and reports a redirect loop", async () => {
    assertPass(await one(check("redir", "http", "/redirect", { expectStatus: 200 })));
    assertFail(await one(check("loop", "http", "/loop-a", { expectStatus: 200 })), /redirect loop/);
  });

  it("does not forward credentials on a redirect to another origin", async () => {
    const other = await startHttpFixtures();
    try {
      const away = `/redirect-to?url=${encodeURIComponent(`${other.url}/no-credentials`)}`;
      const headers = { authorization: "Bearer must-stay-home" };
      assertPass(await one(check("away", "http", away, { expectStatus: 200, headers })));
      assert.strictEqual(other.hits("/no-credentials"), 1);
      // Same origin: the header is sent on (the route refuses it, proving it arrived).
      const home = `/redirect-to?url=${encodeURIComponent("/no-credentials")}`;
      assertFail(await one(check("home", "http", home, { expectStatus: 200, headers })), /answered 400/);
    } finally {
      await other.close();
    }
  });

  it("retries a reset connection once and then passes", async () => {
    assertPass(await one(check("flaky", "http", "/flaky", { expectStatus: 200 }), 1));
    assert.strictEqual(fx.hits("/flaky"), 2);
  });

  it("bounds the retries of a connection that keeps failing", async () => {
    const before = fx.hits("/always-reset");
    assertFail(await one(check("reset", "http", "/always-reset", { expectStatus: 200 }), 2), /after 3 tries/);
    assert.strictEqual(fx.hits("/always-reset") - before, 3);
  });

  it("reports a refused connection with the host", async () => {
    const c = { ...check("down", "http", "/ok", { expectStatus: 200 }), url: "http://127.0.0.1:1/ok" };
    assertFail(await one(c, 0), /cannot connect to 127\.0\.0\.1:1 \(ECONNREFUSED\)/);
  });
});

describe("checks: TLS", () => {
  it("refuses a self-signed certificate unless its CA is given", async () => {
    const tls = await startTlsFixture();
    try {
      const c = { ...check("tls", "http", "/ok", { expectStatus: 200 }), url: `${tls.url}/ok` };
      assertFail((await runChecks([c], { retries: 0 }))[0], /TLS: self-signed certificate/);
      assertPass((await runChecks([c], { retries: 0, ca: tls.ca }))[0]);
    } finally {
      await tls.close();
    }
  });
});

describe("checks: json and html", () => {
  it("checks a field equals, at least, present", async () => {
    assertPass(await one(check("eq", "json", "/json", { field: "status", equals: "ok" })));
    assertPass(await one(check("ge", "json", "/json", { field: "workers", atLeast: 2 })));
    assertPass(await one(check("nested", "json", "/json", { field: "build.version" })));
    assertFail(
      await one(check("neq", "json", "/json", { field: "status", equals: "ready" })),
      /status is "ok", expected "ready"/,
    );
    assertFail(
      await one(check("lt", "json", "/json", { field: "workers", atLeast: 5 })),
      /workers is 3, expected at least 5/,
    );
    assertFail(await one(check("missing", "json", "/json", { field: "build.sha" })), /build\.sha is missing/);
  });

  it("fails JSON served with the wrong content type, and a 500", async () => {
    assertFail(
      await one(check("type", "json", "/json-as-html", { field: "status", equals: "ok" })),
      /content type "text\/html"/,
    );
    assertFail(await one(check("err", "json", "/500", { field: "status" })), /answered 500/);
  });

  it("checks an HTML document and its title", async () => {
    assertPass(await one(check("html", "html", "/html", { titleContains: "Dashboard" })));
    assertFail(
      await one(check("title", "html", "/html", { titleContains: "Admin" })),
      /title "Fleet Dashboard", expected it to contain "Admin"/,
    );
    assertFail(await one(check("text", "html", "/not-html")), /not an HTML document/);
    assertFail(
      await one(check("json", "html", "/json")),
      /expected text\/html, got content type "application\/json"/,
    );
  });
});

describe("checks: api key, webhook, jwks, mcp, request id", () => {
  it("accepts the valid key and sees a bad key refused", async () => {
    const r = await one(check("key", "apiKey", "/me", { validKey: VALID_KEY, header: "authorization" }));
    assertPass(r);
    assertFail(
      await one(check("wrong", "apiKey", "/me", { validKey: "not-the-key", header: "authorization" })),
      /valid key was refused with 401/,
    );
    assertFail(
      await one(check("open", "apiKey", "/open", { validKey: VALID_KEY, header: "authorization" })),
      /bad key got 200/,
    );
  });

  it("never puts the key in a result", async () => {
    const results = await runChecks(
      [check("wrong", "apiKey", "/me", { validKey: "s3cr3t-value-xyz", header: "authorization" })],
      { retries: 0 },
    );
    assert.ok(!formatResultTable(results).includes("s3cr3t-value-xyz"));
  });

  it("verifies webhook signatures both ways", async () => {
    const base = { signatureHeader: "x-fleetgate-signature" };
    assertPass(await one(check("hook", "webhook", "/webhook", { ...base, signingSecret: SIGNING_SECRET })));
    assertFail(
      await one(check("badsecret", "webhook", "/webhook", { ...base, signingSecret: "other" })),
      /correctly signed payload \(github scheme\) got 401/,
    );
    assertFail(
      await one(check("open", "webhook", "/webhook-open", { ...base, signingSecret: SIGNING_SECRET })),
      /unsigned payload got 200/,
    );
  });

  it("needs a non-empty JWKS", async () => {
    assertPass(await one(check("jwks", "jwks", "/jwks")));
    assertFail(await one(check("empty", "jwks", "/jwks-empty")), /keys array is empty/);
  });

  it("initializes an MCP server and counts its tools over pages, JSON and SSE", async () => {
    const ok = await one(check("mcp", "mcp", "/mcp", { minTools: 5 }));
    assertPass(ok);
    assert.match(ok.reason, /5 tools/);
    assertPass(await one(check("sse", "mcp", "/mcp?sse=1", { minTools: 5 })));
    assertFail(await one(check("few", "mcp", "/mcp", { minTools: 6 })), /lists 5 tools, expected at least 6/);
    assertFail(await one(check("notmcp", "mcp", "/ok", { minTools: 1 })), /content type "text\/plain"/);
  });

  it("sees request ids issued and echoed", async () => {
    assertPass(await one(check("rid", "requestId", "/request-id", { header: "x-request-id" })));
    assertFail(
      await one(check("norid", "requestId", "/no-request-id", { header: "x-request-id" })),
      /got none back/,
    );
  });
});

describe("checks: concurrency and the table", () => {
  it("runs checks concurrently", async () => {
    const checks = Array.from({ length: 8 }, (_, i) =>
      check(`slow-${i}`, "http", "/slow?ms=400", { expectStatus: 200 }),
    );
    const started = Date.now();
    const results = await runChecks(checks, { retries: 0 });
    results.forEach(assertPass);
    assert.ok(Date.now() - started < 1500, `8 checks of 400 ms took ${Date.now() - started} ms`);
  });

  it("formats a table with check, target, status, latency, reason", async () => {
    const results = await runChecks(
      [
        check("ok", "http", "/ok", { expectStatus: 200 }),
        check("five", "http", "/500", { expectStatus: 200 }),
      ],
      { retries: 0 },
    );
    const table = formatResultTable(results);
    const lines = table.split("\n");
    assert.match(lines[0], /^CHECK\s+TARGET\s+STATUS\s+LATENCY\s+REASON$/);
    assert.match(lines[1], /^ok\s+fixture\s+PASS\s+\d+ ms\s+status 200$/);
    assert.match(lines[2], /^five\s+fixture\s+FAIL\s+\d+ ms\s+answered 500, expected 200$/);
  });
});
