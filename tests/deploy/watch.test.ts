/**
 * The post-deploy watch: figures and verdicts (pure), sampling windows against a real loopback
 * server whose health endpoint can turn slow or failing, and the watch through the real engine
 * failing `pulumi up` with the figures and rolling the service back.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as http from "http";
import type { AddressInfo } from "net";
import * as path from "path";
import { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import type { RollbackTarget } from "../../components/platform";
import { readRecords } from "../../lib/ledger/file";
import type { DeployRecord } from "../../lib/ledger/record";
import { UNKNOWN_LIVE_IMAGE } from "../../providers/checks/rollback";
import { takeBaseline, WatchBaseline } from "../../providers/watch/baseline";
import { sampleWindow } from "../../providers/watch/sample";
import { figuresOf, hopeless, overThreshold, percentile, Thresholds } from "../../providers/watch/stats";
import { PostDeployWatch, runWatch } from "../../providers/watch/watch";
import { engineBinDir, engineEnv, readStateFile, tempDir } from "../support/engine";

/** A health endpoint whose status and delay the test sets. */
interface Health {
  url: string;
  status: number;
  delayMs: number;
  hits: number;
  close(): Promise<void>;
}

async function startHealth(): Promise<Health> {
  const h = { status: 200, delayMs: 0, hits: 0 } as Health;
  const server = http.createServer((_req, res) => {
    h.hits++;
    setTimeout(() => {
      res.writeHead(h.status, { "content-type": "application/json" });
      res.end(JSON.stringify({ status: h.status < 400 ? "ok" : "down" }));
    }, h.delayMs);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  h.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/health`;
  h.close = () => new Promise((r) => server.close(() => r()));
  return h;
}

const T: Thresholds = { maxErrorRatePercent: 10, maxLatencyIncreasePercent: 50, minLatencyIncreaseMs: 50 };

describe("post-deploy watch", function () {
  this.timeout(120_000);

  describe("figures and verdicts", () => {
    it("computes nearest-rank p95 over answered requests and the error rate over all", () => {
      assert.strictEqual(
        percentile(
          [...Array(100).keys()].map((i) => i + 1),
          95,
        ),
        95,
      );
      assert.strictEqual(percentile([7], 95), 7);
      const f = figuresOf([
        { ok: true, latencyMs: 10, status: 200 },
        { ok: true, latencyMs: 30, status: 200 },
        { ok: false, latencyMs: 5000, status: "timeout" },
        { ok: true, latencyMs: 20, status: 200 },
      ]);
      assert.deepStrictEqual(f, { samples: 4, errors: 1, errorRatePercent: 25, p95Ms: 30 });
    });

    it("flags the error rate, the absolute p95 and a regression over the baseline", () => {
      const base = { samples: 5, errors: 0, errorRatePercent: 0, p95Ms: 100 };
      assert.deepStrictEqual(
        overThreshold({ samples: 10, errors: 0, errorRatePercent: 0, p95Ms: 140 }, base, T),
        [],
      );
      assert.deepStrictEqual(
        overThreshold({ samples: 10, errors: 2, errorRatePercent: 20, p95Ms: 90 }, base, T),
        ["error rate 20 % > 10 %"],
      );
      assert.deepStrictEqual(
        overThreshold({ samples: 10, errors: 0, errorRatePercent: 0, p95Ms: 400 }, base, {
          ...T,
          maxP95Ms: 300,
        }),
        ["p95 400 ms > 300 ms", "p95 400 ms is 300 % over the baseline's 100 ms (allowed 50 %)"],
      );
    });

    it("ignores small absolute jitter and a baseline that never answered", () => {
      const tiny = { samples: 5, errors: 0, errorRatePercent: 0, p95Ms: 2 };
      assert.deepStrictEqual(
        overThreshold({ samples: 10, errors: 0, errorRatePercent: 0, p95Ms: 9 }, tiny, T),
        [],
      );
      const down = { samples: 5, errors: 5, errorRatePercent: 100 };
      assert.deepStrictEqual(
        overThreshold({ samples: 10, errors: 0, errorRatePercent: 0, p95Ms: 900 }, down, T),
        [],
      );
    });

    it("knows when a window can no longer end under the threshold", () => {
      assert.strictEqual(hopeless(1, 20, 10), false);
      assert.strictEqual(hopeless(3, 20, 10), true);
      assert.strictEqual(hopeless(1, 100, 0), true);
    });
  });

  describe("against a loopback service", () => {
    let h: Health;
    beforeEach(async () => (h = await startHealth()));
    afterEach(async () => h.close());

    it("samples at the interval for the window and no longer", async () => {
      const started = Date.now();
      const s = await sampleWindow([{ service: "api", url: h.url }], {
        windowMs: 1000,
        intervalMs: 250,
        timeoutMs: 500,
      });
      assert.ok(Date.now() - started < 1600, `took ${Date.now() - started} ms`);
      assert.strictEqual(s.api.length, 5);
      assert.ok(s.api.every((x) => x.ok && x.status === 200));
    });

    it("passes a healthy window with its figures", async () => {
      const base = await takeBaseline({
        targets: [{ service: "api", url: h.url }],
        revision: "r1",
        samples: 3,
        requestTimeoutMs: 500,
      });
      assert.strictEqual(base.figures.api.samples, 3);
      const out = await runWatch(
        {
          targets: [{ service: "api", url: h.url }],
          revision: "r1",
          baseline: base.figures,
          windowSeconds: 1,
          intervalSeconds: 0.25,
          requestTimeoutMs: 500,
          thresholds: T,
          rollback: true,
        },
        async () => assert.fail("must not roll back"),
      );
      assert.strictEqual(out.figures[0].verdict, "ok");
      assert.match(out.table, /api\s+5\s+0\s+0 %/);
    });

    it("fails early on errors, rolls back and records the failure", async () => {
      const dir = tempDir("watch-fail");
      h.status = 503;
      const rolled: RollbackTarget[] = [];
      const started = Date.now();
      await assert.rejects(
        runWatch(
          {
            targets: [{ service: "api", url: h.url }],
            revision: "r2",
            windowSeconds: 30,
            intervalSeconds: 0.2,
            requestTimeoutMs: 500,
            thresholds: T,
            rollback: true,
            rollbackTargets: { api: { platform: "local", stateDir: dir, service: "api" } },
            evidence: {
              file: path.join(dir, "ledger.jsonl"),
              stack: "dev",
              fleet: "f",
              environment: "dev",
              revision: "r2",
              images: { api: "a:2" },
              webhooks: [],
              notifyTimeoutMs: 500,
            },
          },
          async (t) => {
            rolled.push(t);
            return "restarted api at deploy 1";
          },
        ),
        (err: Error) => {
          assert.match(err.message, /post-deploy watch failed: api \(error rate 100 % > 10 %\)/);
          assert.match(err.message, /SERVICE\s+SAMPLES\s+ERRORS\s+ERROR RATE\s+P95\s+BASELINE P95\s+VERDICT/);
          assert.match(err.message, /Rolled back to the previous deploy:\s+- api: restarted api at deploy 1/);
          return true;
        },
      );
      assert.ok(Date.now() - started < 5000, "the watch did not stop early");
      assert.strictEqual(rolled.length, 1);
      const rec = readRecords(path.join(dir, "ledger.jsonl")).records[0];
      // A rollback records itself; this fake platform does not say which image runs again.
      assert.ok(rec.kind === "deploy" && rec.outcome === "rolled-back" && rec.failure?.gate === "watch");
      assert.strictEqual((rec as DeployRecord).images.api, UNKNOWN_LIVE_IMAGE);
      assert.deepStrictEqual(rec.kind === "deploy" && rec.rollback, ["api: restarted api at deploy 1"]);
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it("fails a latency regression against the baseline without rolling back when told not to", async () => {
      const base = await takeBaseline({
        targets: [{ service: "api", url: h.url }],
        revision: "r1",
        samples: 3,
        requestTimeoutMs: 1000,
      });
      h.delayMs = 150;
      await assert.rejects(
        runWatch(
          {
            targets: [{ service: "api", url: h.url }],
            revision: "r2",
            baseline: base.figures,
            windowSeconds: 1,
            intervalSeconds: 0.25,
            requestTimeoutMs: 1000,
            thresholds: T,
            rollback: false,
          },
          async () => assert.fail("must not roll back"),
        ),
        /api \(p95 1\d\d ms is \d+ % over the baseline's \d+ ms \(allowed 50 %\)\)[\s\S]*Nothing was rolled back \(gates.watch.rollback is false\)/,
      );
    });
  });

  describe("through the engine", () => {
    let h: Health;
    let dir: string;
    let stack: Stack;
    let revision = "rev-1";

    before(async () => {
      if (!(process.env.PATH ?? "").split(path.delimiter).includes(engineBinDir())) {
        process.env.PATH = `${engineBinDir()}${path.delimiter}${process.env.PATH ?? ""}`;
      }
      h = await startHealth();
      dir = tempDir("watch-engine");
      const marker = path.join(dir, "rolled-back.txt");
      const ledger = path.join(dir, "ledger.jsonl");
      const program = async () => {
        const targets = [{ service: "api", url: h.url }];
        const baseline = new WatchBaseline("baseline", {
          targets,
          revision,
          samples: 3,
          requestTimeoutMs: 1000,
        });
        const watch = new PostDeployWatch(
          "watch",
          {
            targets,
            revision,
            baseline: baseline.figures,
            windowSeconds: 1,
            intervalSeconds: 0.2,
            requestTimeoutMs: 1000,
            thresholds: T,
            rollback: true,
            rollbackTargets: { api: { platform: "local", stateDir: dir, service: "api" } },
            evidence: {
              file: ledger,
              stack: "dev",
              fleet: "f",
              environment: "dev",
              revision,
              images: { api: `a:${revision}` },
              webhooks: [{ name: "chat", url: "http://127.0.0.1:9/never", on: ["failure"] }],
              notifyTimeoutMs: 500,
            },
          },
          async (t) => {
            require("fs").appendFileSync(marker, `${(t as { service: string }).service}\n`);
            return "restarted api at its previous deploy";
          },
          { dependsOn: [baseline] },
        );
        return { table: watch.table, figures: watch.figures };
      };
      stack = await LocalWorkspace.createOrSelectStack(
        { stackName: "dev", projectName: "deploy-watch", program },
        { envVars: engineEnv(dir) },
      );
    });
    after(async () => {
      await stack?.destroy().catch(() => undefined);
      await h?.close();
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it("passes a healthy deploy and outputs the figures", async () => {
      const res = await stack.up();
      assert.strictEqual(res.outputs.figures.value[0].verdict, "ok");
      assert.match(res.outputs.table.value, /^SERVICE/);
      const state = readStateFile(dir, "deploy-watch", "dev");
      assert.ok(state.includes("pulumi-nodejs:dynamic/checks:PostDeployWatch"));
      assert.ok(state.includes("pulumi-nodejs:dynamic/checks:WatchBaseline"));
      assert.ok(!state.includes("127.0.0.1:9/never"), "the webhook URL is stored in plain text");
    });

    it("fails pulumi up with the figures and rolls back when the new revision errors", async () => {
      revision = "rev-2";
      const hits = h.hits;
      const baselinePreviewHits = await stack.preview().then(() => h.hits - hits);
      assert.strictEqual(baselinePreviewHits, 0, "preview sampled the service");
      // The baseline sees the healthy running version; the deploy "breaks" it afterwards.
      const breakAfterBaseline = setInterval(() => {
        if (h.hits >= hits + 3) h.status = 500;
      }, 5);
      try {
        await assert.rejects(
          stack.up(),
          (err: Error & { commandResult?: { stdout: string; stderr: string } }) => {
            const output = `${err.commandResult?.stdout}\n${err.commandResult?.stderr}`;
            assert.match(output, /post-deploy watch failed: api \(error rate \d+ % > 10 %\)/);
            assert.match(output, /SERVICE\s+SAMPLES\s+ERRORS\s+ERROR RATE\s+P95\s+BASELINE P95\s+VERDICT/);
            assert.match(
              output,
              /Rolled back to the previous deploy:\s+- api: restarted api at its previous deploy/,
            );
            assert.match(output, /Notifications not delivered: webhook chat: could not be reached/);
            assert.ok(!output.includes("127.0.0.1:9/never"));
            return true;
          },
        );
      } finally {
        clearInterval(breakAfterBaseline);
      }
      assert.strictEqual(fs.readFileSync(path.join(dir, "rolled-back.txt"), "utf8"), "api\n");
      const recs = readRecords(path.join(dir, "ledger.jsonl")).records;
      assert.strictEqual(recs.length, 1);
      assert.ok(
        recs[0].kind === "deploy" && recs[0].revision === "rev-2" && recs[0].failure?.gate === "watch",
      );
    });
  });
});
