/**
 * The `liveness` check for services without a public URL: against a real local process with
 * the local platform's process record, and against the Render double (service + deploys
 * endpoints as Render documents them): up and staying up passes; a dead, crashing, suspended or
 * failed service fails with the reason.
 */
import * as assert from "assert";
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { checkConfig } from "../../config/checks";
import { runChecks } from "../../lib/checks/run";
import type { LivenessSource, ResolvedCheck } from "../../lib/checks/types";
import { tempDir } from "../support/engine";
import { RenderDouble } from "../support/render-double";

function liveness(source: LivenessSource, fields: Record<string, unknown>, apiKey?: string): ResolvedCheck {
  const { timeoutMs: _t, ...parsed } = checkConfig.parse({
    name: "alive",
    target: "worker",
    kind: "liveness",
    ...fields,
  });
  return {
    ...parsed,
    url: "",
    timeoutMs: (fields.timeoutMs as number) ?? 5000,
    livenessSource: source,
    ...(apiKey ? { apiKey } : {}),
  } as ResolvedCheck;
}

const run = async (c: ResolvedCheck) => (await runChecks([c], { retries: 0 }))[0];

describe("liveness: local process", function () {
  this.timeout(30_000);
  let dir: string;
  const children: ChildProcess[] = [];

  /** Starts a process and writes the record the local platform writes for it. */
  function startWorker(script: string): ChildProcess {
    const child = spawn(process.execPath, ["-e", script], { stdio: "ignore" });
    children.push(child);
    const stat = fs.readFileSync(`/proc/${child.pid}/stat`, "utf8");
    const startTime = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
    const rec = path.join(dir, "services", "worker", "process.json");
    fs.mkdirSync(path.dirname(rec), { recursive: true });
    // As providers/local/process.ts records it.
    fs.writeFileSync(rec, JSON.stringify({ pid: child.pid, startTime: `proc:${startTime}`, deployId: 1 }));
    return child;
  }

  beforeEach(() => {
    dir = tempDir("liveness");
  });
  afterEach(() => {
    for (const c of children.splice(0)) c.kill("SIGKILL");
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const source = (): LivenessSource => ({ kind: "local", stateDir: dir, service: "worker" });

  it("passes a process that is up and stays up for minUptimeSeconds", async () => {
    startWorker("setInterval(() => {}, 1000)");
    const r = await run(liveness(source(), { minUptimeSeconds: 1 }));
    assert.strictEqual(r.status, "pass", r.reason);
    assert.match(r.reason, /^process \d+ up [12] s$/);
    assert.ok(r.latencyMs >= 700, "did not wait for the minimum uptime");
  });

  it("fails a worker that crashes shortly after its start (a crash loop)", async () => {
    startWorker("setTimeout(() => process.exit(1), 300)");
    const r = await run(liveness(source(), { minUptimeSeconds: 2 }));
    assert.strictEqual(r.status, "fail");
    assert.match(r.reason, /process \d+ of "worker" (is not running|has exited)/);
  });

  it("fails without a process record, and when minUptimeSeconds cannot fit in the timeout", async () => {
    const none = await run(liveness(source(), { minUptimeSeconds: 0 }));
    assert.match(none.reason, /^no process record for "worker" \(ENOENT/);
    startWorker("setInterval(() => {}, 1000)");
    const tight = await run(liveness(source(), { minUptimeSeconds: 30, timeoutMs: 1000 }));
    assert.match(tight.reason, /does not fit in the check's timeout/);
  });
});

describe("liveness: Render (double)", function () {
  this.timeout(30_000);
  let render: RenderDouble;
  const KEY = "rnd_live";

  beforeEach(async () => {
    render = await RenderDouble.start({ apiKey: KEY, deployPhaseMs: 20 });
  });
  afterEach(() => render.close());

  const worker = (name: string) =>
    render.createServiceByHand({
      type: "background_worker",
      name,
      ownerId: "tea-seeds",
      image: { imagePath: "ghcr.io/acme/worker:1.0.0" },
    });
  const source = (id: string): LivenessSource => ({ kind: "render", baseUrl: render.url, serviceId: id });
  const waitFinal = async (id: string) => {
    for (let i = 0; i < 100; i++) {
      const [d] = render.deploysOf(id);
      if (d && ["live", "update_failed", "build_failed"].includes(d.status)) return;
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  it("passes a service whose newest deploy is live and stays live", async () => {
    const svc = worker("worker-ok");
    await waitFinal(svc.id);
    const r = await run(liveness(source(svc.id), { minUptimeSeconds: 1 }, KEY));
    assert.strictEqual(r.status, "pass", r.reason);
    assert.match(r.reason, /^deploy dep-\S+ live for 1 s$/);
  });

  it("fails a failed deploy, a suspended service, a bad key", async () => {
    render.failDeploys.set("worker-bad", "update_failed");
    const bad = worker("worker-bad");
    await waitFinal(bad.id);
    const failed = await run(liveness(source(bad.id), { minUptimeSeconds: 0 }, KEY));
    assert.match(failed.reason, /^the newest deploy dep-\S+ is update_failed, not live$/);

    const ok = worker("worker-sus");
    await waitFinal(ok.id);
    const res = await fetch(`${render.url}/services/${ok.id}/suspend`, {
      method: "POST",
      headers: { authorization: `Bearer ${KEY}` },
    });
    assert.strictEqual(res.status, 202);
    const suspended = await run(liveness(source(ok.id), { minUptimeSeconds: 0 }, KEY));
    assert.strictEqual(suspended.reason, `service ${ok.id} is suspended`);

    const unauthorized = await run(liveness(source(ok.id), { minUptimeSeconds: 0 }, "wrong"));
    assert.match(unauthorized.reason, /^Render answered 401/);
  });
});
