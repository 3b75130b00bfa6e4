/**
 * A failing smoke suite or integrity verify stops the update before the EvidenceRecord runs, so
 * each gate records its own failure in the ledger and notifies before it throws.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import { readRecords } from "../../lib/ledger/file";
import type { LedgerContext } from "../../lib/ledger/context";
import { verifyIntegrity } from "../../providers/checks/integrity";
import { runSuite } from "../../providers/checks/smokeSuite";
import { tempDir } from "../support/engine";
import { ChatHook, startChatHook } from "./support";

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((r) => server.close(r));
  return port;
}

describe("gates record their own failures in the evidence ledger", function () {
  this.timeout(60_000);
  let dir: string;
  let hook: ChatHook;
  let ctx: LedgerContext;

  before(async () => {
    dir = tempDir("gate-failures");
    hook = await startChatHook();
    ctx = {
      file: path.join(dir, "ledger.jsonl"),
      stack: "test",
      fleet: "shop",
      environment: "dev",
      revision: "rev-1",
      images: { "shop-api": "ghcr.io/acme/api:1.0.0" },
      webhooks: [{ name: "chat", url: `${hook.url}/hooks/chat`, on: ["success", "failure"] }],
      notifyTimeoutMs: 2000,
    };
  });
  after(async () => {
    await hook.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("a failed smoke suite appends a failed deploy record with its checks and notifies", async () => {
    const port = await closedPort();
    const noRollback = async () => "nothing";
    await assert.rejects(
      runSuite(
        {
          targets: ["shop-api"],
          revision: "rev-1",
          checks: [
            {
              name: "api-health",
              kind: "http",
              target: "shop-api",
              path: "/health",
              url: `http://127.0.0.1:${port}/health`,
              timeoutMs: 1000,
              expectStatus: 200,
            },
          ],
          retries: 0,
          evidence: ctx,
        },
        noRollback,
      ),
      /smoke suite failed/,
    );
    const { records } = readRecords(ctx.file);
    const last = records[records.length - 1] as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    assert.strictEqual(last.kind, "deploy");
    assert.strictEqual(last.outcome, "failed");
    assert.strictEqual(last.failure.gate, "smoke");
    assert.match(last.failure.message, /api-health/);
    assert.deepStrictEqual(
      last.checks.map((c: { check: string; status: string }) => [c.check, c.status]),
      [["api-health", "fail"]],
    );
    assert.ok(hook.posts.some((p) => p.body.record?.outcome === "failed"));
  });

  it("a failed integrity verify appends a failed deploy record", async () => {
    const before = hook.posts.length;
    await assert.rejects(
      verifyIntegrity({
        engine: "duckdb",
        connection: path.join(dir, "missing.duckdb"),
        criticalTables: [],
        revision: "rev-1",
        before: {
          engine: "duckdb",
          takenAt: new Date().toISOString(),
          tables: [],
          views: [],
          rowLevelSecurity: [],
          rowCounts: {},
        },
        allowDrops: [],
        expect: { tables: [], views: [], rowLevelSecurity: [] },
        evidence: ctx,
      }),
      /integrity verify/,
    );
    const { records } = readRecords(ctx.file);
    const last = records[records.length - 1] as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    assert.strictEqual(last.outcome, "failed");
    assert.strictEqual(last.failure.gate, "integrity");
    assert.ok(hook.posts.length > before);
  });
});
