/**
 * The evidence ledger and notifications: the JSON Lines file, chat webhooks on a real loopback
 * server, and the EvidenceRecord through the real engine (one line per `up` that ran something,
 * the record as an output, the webhook URL never in the state).
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { appendRecord, readRecords } from "../../lib/ledger/file";
import { notify, notificationText } from "../../lib/ledger/notify";
import { DeployRecord, monitorRecord } from "../../lib/ledger/record";
import { EvidenceRecord } from "../../providers/ledger/evidenceRecord";
import { engineBinDir, engineEnv, readStateFile, tempDir } from "../support/engine";
import { ChatHook, startChatHook } from "./support";

const TOKEN = "T000/B000/XyzSecretToken123";

const record = (over: Partial<DeployRecord> = {}): DeployRecord => ({
  kind: "deploy",
  time: "2026-11-25T10:00:00.000Z",
  stack: "prod",
  environment: "prod",
  fleet: "refapp",
  outcome: "succeeded",
  revision: "abc123",
  images: { api: "ghcr.io/o/api:1.8.3" },
  checks: [{ check: "api-health", target: "api", status: "pass", latencyMs: 12, reason: "status is ok" }],
  rollback: [],
  ...over,
});

describe("evidence ledger and notifications", function () {
  this.timeout(180_000);
  let hook: ChatHook;
  let dir: string;
  before(async () => {
    hook = await startChatHook();
    dir = tempDir("ledger");
  });
  after(async () => {
    await hook?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  describe("file", () => {
    it("appends one line per record and reads them back, skipping a torn line", () => {
      const file = path.join(dir, "nested", "ledger.jsonl");
      appendRecord(file, record());
      fs.appendFileSync(file, '{"kind":"deploy","ti');
      fs.appendFileSync(file, "\n");
      appendRecord(
        file,
        monitorRecord({ stack: "prod", environment: "prod", fleet: "refapp" }, [
          { check: "c", target: "api", status: "fail", latencyMs: 3, reason: "answered 500" },
        ]),
      );
      const { records, skipped } = readRecords(file);
      assert.strictEqual(skipped, 1);
      assert.deepStrictEqual(
        records.map((r) => r.kind),
        ["deploy", "monitor"],
      );
      assert.strictEqual(records[1].kind === "monitor" && records[1].ok, false);
      assert.strictEqual(fs.statSync(file).mode & 0o777, 0o600);
    });

    it("reads a missing file as an empty ledger", () => {
      assert.deepStrictEqual(readRecords(path.join(dir, "none.jsonl")), { records: [], skipped: 0 });
    });
  });

  describe("notifications", () => {
    beforeEach(() => {
      hook.posts = [];
      hook.status = 200;
    });

    it("posts the summary and the record to the channels that listen for the outcome", async () => {
      const problems = await notify(
        [
          { name: "all", url: `${hook.url}/all/${TOKEN}`, on: ["success", "failure"] },
          { name: "failures", url: `${hook.url}/failures`, on: ["failure"] },
        ],
        record(),
        2000,
      );
      assert.deepStrictEqual(problems, []);
      assert.deepStrictEqual(
        hook.posts.map((p) => p.path),
        [`/all/${TOKEN}`],
      );
      assert.strictEqual(
        hook.posts[0].body.text,
        "fleetgate: refapp (prod) deployed revision abc123 | checks 1/1 passed",
      );
      assert.strictEqual(hook.posts[0].body.record.revision, "abc123");
    });

    it("summarizes a failure with its gate, rollback and first line", () => {
      const text = notificationText(
        record({
          outcome: "failed",
          rollback: ["api: rolled back"],
          failure: { gate: "watch", message: "post-deploy watch failed: api\n\ntable" },
        }),
      );
      assert.strictEqual(
        text,
        "fleetgate: refapp (prod) deploy of revision abc123 FAILED at watch | checks 1/1 passed | rollback: api: rolled back | post-deploy watch failed: api",
      );
    });

    it("says ROLLED BACK for a gate that rolled back", () => {
      const text = notificationText(
        record({
          outcome: "rolled-back",
          rollback: ["api: back to dep-1"],
          failure: { gate: "smoke", message: "smoke suite failed: 1 of 1 checks failed: api\n\ntable" },
        }),
      );
      assert.strictEqual(
        text,
        "fleetgate: refapp (prod) deploy of revision abc123 FAILED at smoke and was ROLLED BACK | checks 1/1 passed | rollback: api: back to dep-1 | smoke suite failed: 1 of 1 checks failed: api",
      );
    });

    it("reports channels that fail by name, never by URL, and does not throw", async () => {
      hook.status = 500;
      const problems = await notify(
        [
          { name: "chat", url: `${hook.url}/${TOKEN}`, on: ["success"] },
          { name: "down", url: `http://127.0.0.1:9/${TOKEN}`, on: ["success"] },
        ],
        record(),
        2000,
      );
      assert.deepStrictEqual(problems, ["webhook chat: answered 500", "webhook down: could not be reached"]);
    });
  });

  describe("EvidenceRecord through the engine", () => {
    let stack: Stack;
    let stateDir: string;
    let revision = "rev-1";
    let ranAt = "t1";
    const ledger = () => path.join(stateDir, "ledger.jsonl");

    before(async () => {
      if (!(process.env.PATH ?? "").split(path.delimiter).includes(engineBinDir())) {
        process.env.PATH = `${engineBinDir()}${path.delimiter}${process.env.PATH ?? ""}`;
      }
      stateDir = tempDir("ledger-engine");
      const program = async () => {
        const ev = new EvidenceRecord("evidence", {
          ledger: {
            file: ledger(),
            stack: "dev",
            fleet: "refapp",
            environment: "dev",
            revision,
            images: { api: `ghcr.io/o/api:${revision}` },
          },
          checks: [
            {
              check: "api-health",
              target: "api",
              kind: "json",
              status: "pass",
              latencyMs: 7,
              reason: "status is ok",
            },
          ],
          backup: { path: "/backups/dev.dump", sizeBytes: 1234 },
          runKey: `${revision}|${ranAt}`,
          webhooks: pulumi.secret([
            {
              name: "chat",
              url: `${hook.url}/${TOKEN}`,
              on: ["success", "failure"] as ("success" | "failure")[],
            },
          ]),
          notifyTimeoutMs: 2000,
        });
        return { record: ev.record, problems: ev.notificationProblems };
      };
      stack = await LocalWorkspace.createOrSelectStack(
        { stackName: "dev", projectName: "deploy-ledger", program },
        { envVars: engineEnv(stateDir) },
      );
    });
    after(async () => {
      await stack?.destroy().catch(() => undefined);
      if (stateDir) fs.rmSync(stateDir, { recursive: true, force: true });
    });

    it("appends the record, outputs it and notifies, keeping the webhook out of the state", async () => {
      hook.posts = [];
      hook.status = 200;
      const res = await stack.up();
      const rec = res.outputs.record.value as DeployRecord;
      assert.strictEqual(rec.outcome, "succeeded");
      assert.deepStrictEqual(rec.backup, { path: "/backups/dev.dump", sizeBytes: 1234 });
      assert.deepStrictEqual(res.outputs.problems.value, []);
      const lines = readRecords(ledger()).records;
      assert.strictEqual(lines.length, 1);
      assert.deepStrictEqual(lines[0], rec);
      assert.strictEqual(hook.posts.length, 1);
      assert.match(hook.posts[0].body.text, /deployed revision rev-1 \| checks 1\/1 passed/);
      const state = readStateFile(stateDir, "deploy-ledger", "dev");
      assert.ok(state.includes("pulumi-nodejs:dynamic/ledger:EvidenceRecord"));
      assert.ok(!state.includes(TOKEN), "the webhook URL is stored in plain text");
    });

    it("records nothing on an up that ran nothing, and a new line when a gate ran again", async () => {
      await stack.up();
      assert.strictEqual(readRecords(ledger()).records.length, 1);
      ranAt = "t2";
      await stack.up();
      revision = "rev-2";
      await stack.up();
      const recs = readRecords(ledger()).records as DeployRecord[];
      assert.deepStrictEqual(
        recs.map((r) => r.revision),
        ["rev-1", "rev-1", "rev-2"],
      );
      assert.strictEqual(hook.posts.length, 3);
    });

    it("refresh shows a record that vanished from the ledger as drift; up writes it back", async () => {
      const unchanged = await stack.refresh();
      assert.strictEqual(unchanged.summary.resourceChanges?.update ?? 0, 0);
      fs.writeFileSync(ledger(), "");
      const drifted = await stack.refresh();
      assert.strictEqual(drifted.summary.resourceChanges?.update, 1);
      // The next up writes the missing record back as it was, without a new notification.
      const posts = hook.posts.length;
      await stack.up();
      const recs = readRecords(ledger()).records as DeployRecord[];
      assert.deepStrictEqual(
        recs.map((r) => r.revision),
        ["rev-2"],
      );
      assert.strictEqual(hook.posts.length, posts);
    });
  });
});
