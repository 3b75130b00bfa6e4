/**
 * The health monitor's `log` and `liveness` checks on Render: the monitor handler (as the Lambda
 * runs it) and scripts/run-checks.ts (as the health-monitor workflow runs it) read a worker's
 * logs from the Render logs double and its live deploy from the Render double, both behind one
 * loopback base URL as Render serves them (`/v1/logs` and `/v1/services...`). The service id
 * is looked up by name at run time; the platform API key only ever travels as a secret.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as http from "http";
import { AddressInfo } from "net";
import * as path from "path";
import { stringify } from "yaml";
import { checkPlan } from "../../components/monitor/plan";
import { validateStackConfig } from "../../config/load";
import { StackConfig } from "../../config/schema";
import { Notification, runMonitor } from "../../lambda/monitor/handler";
import { RenderDouble } from "../support/render-double";
import { RenderLogsDouble } from "../support/render-logs-double";
import { REPO_ROOT, runAsync, tempDir } from "../support/engine";

const KEY = "rnd_monitor_8c1f0e";
const OWNER = "tea-monitor";
const WORKER = "probe-worker";

/** One base URL for both doubles: `/v1/logs` goes to the logs double, the rest to Render's. */
function startRouter(render: RenderDouble, logs: RenderLogsDouble): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const upstream = new URL(req.url!.startsWith("/v1/logs") ? logs.url : render.url);
    const fwd = http.request(
      { host: "127.0.0.1", port: upstream.port, path: req.url, method: req.method, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    fwd.on("error", () => res.writeHead(502).end());
    req.pipe(fwd);
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

/** The raw stack config: a Render worker with a log check and a liveness check. */
function rawConfig(baseUrl: string): Record<string, unknown> {
  return {
    "fleetgate:platform": { kind: "render", ownerId: OWNER, baseUrl, apiKey: { secret: "renderApiKey" } },
    "fleetgate:fleet": {
      name: "probe",
      environment: "dev",
      services: [{ name: WORKER, type: "worker", image: "ghcr.io/acme/worker:1.0.0" }],
    },
    "fleetgate:gates": {
      smoke: {
        timeoutMs: 10_000,
        checks: [
          {
            name: "worker-logs",
            kind: "log",
            target: WORKER,
            absent: ["panic:"],
            windowSeconds: 120,
            watchSeconds: 600,
          },
          { name: "worker-alive", kind: "liveness", target: WORKER, minUptimeSeconds: 0 },
        ],
      },
    },
  };
}

function configOf(raw: Record<string, unknown>): StackConfig {
  // The stack file's `fleetgate:<key>` entries, as config/stack-file.ts hands them on.
  const unprefixed = Object.fromEntries(
    Object.entries(raw).map(([k, v]) => [k.replace(/^fleetgate:/, ""), v]),
  );
  const r = validateStackConfig(unprefixed, { secretKeys: new Set(["renderApiKey"]) });
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.config;
}

describe("alarms: the health monitor's log and liveness checks on Render", function () {
  this.timeout(60_000);
  let render: RenderDouble;
  let logs: RenderLogsDouble;
  let router: http.Server;
  let baseUrl: string;
  let workerId: string;

  before(async () => {
    render = await RenderDouble.start({ apiKey: KEY, deployPhaseMs: 20 });
    logs = await RenderLogsDouble.start({ apiKey: KEY, ownerId: OWNER });
    router = await startRouter(render, logs);
    baseUrl = `http://127.0.0.1:${(router.address() as AddressInfo).port}/v1`;
    workerId = render.createServiceByHand({
      type: "background_worker",
      name: WORKER,
      ownerId: OWNER,
      image: { imagePath: "ghcr.io/acme/worker:1.0.0" },
    }).id;
    for (let i = 0; i < 100 && render.liveDeployOf(workerId) === undefined; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(render.liveDeployOf(workerId), "the worker's first deploy goes live");
  });
  after(async () => {
    await new Promise((r) => router.close(r));
    await logs.close();
    await render.close();
  });

  describe("the plan", () => {
    it("aims the checks at Render with the platform key as a slot, never a value or an id guess", () => {
      const plan = checkPlan(configOf(rawConfig(baseUrl)), "P2");
      assert.strictEqual(plan.renderOwnerId, OWNER);
      const [log, alive] = plan.checks;
      assert.deepStrictEqual(log.logSource, { kind: "render", baseUrl, ownerId: OWNER, resourceId: "" });
      assert.deepStrictEqual(alive.livenessSource, { kind: "render", baseUrl, serviceId: "" });
      assert.deepStrictEqual(log.apiKey, { secret: "renderApiKey" });
      assert.deepStrictEqual(alive.apiKey, { secret: "renderApiKey" });
      assert.strictEqual((log as { watchSeconds?: number }).watchSeconds, 0, "the monitor looks back only");
      assert.ok(!JSON.stringify(plan).includes(KEY));
    });

    it("names platform.apiKey when the plan has no key to read Render with", () => {
      const raw = rawConfig(baseUrl);
      delete (raw["fleetgate:platform"] as Record<string, unknown>).apiKey;
      assert.throws(
        () => checkPlan(configOf(raw), "P2"),
        /platform\.apiKey: the monitor's log check "worker-logs" reads Render's API with it; set platform\.apiKey/,
      );
    });

    it("refuses a log check on the local platform in the Lambda (it cannot read the machine's files)", () => {
      const raw = rawConfig(baseUrl);
      raw["fleetgate:platform"] = { kind: "local" };
      const fleet = raw["fleetgate:fleet"] as { services: Record<string, unknown>[] };
      fleet.services[0].local = { command: ["node", "worker.js"], port: 4010 };
      assert.throws(
        () => checkPlan(configOf(raw), "P2"),
        /gates\.smoke\.checks\[0\]: .*scripts\/run-checks\.ts/,
      );
    });
  });

  describe("the monitor handler", () => {
    const deps = (published: Notification[], secrets: Record<string, string> = { renderApiKey: KEY }) => ({
      loadSecrets: async (keys: string[]) => {
        assert.deepStrictEqual(keys, ["renderApiKey"]);
        return secrets;
      },
      publish: async (n: Notification) => {
        published.push(n);
      },
    });

    it("passes a live worker with clean logs, reading the window before the run", async () => {
      logs.add(workerId, "panic: long ago, outside the window", new Date(Date.now() - 600_000));
      logs.add(workerId, "worker started, polling the queue", new Date(Date.now() - 30_000));
      const published: Notification[] = [];
      const started = Date.now();
      const report = await runMonitor(checkPlan(configOf(rawConfig(baseUrl)), "P2"), deps(published));
      assert.deepStrictEqual(
        report.results.map((r) => [r.check, r.status]),
        [
          ["worker-logs", "pass"],
          ["worker-alive", "pass"],
        ],
        JSON.stringify(report.results),
      );
      assert.ok(Date.now() - started < 5000, "the monitor does not wait for watchSeconds");
      assert.deepStrictEqual(published, []);
      // The logs API was asked for this worker's lines of the 120 s before the run.
      const q = logs.requests[logs.requests.length - 1];
      assert.strictEqual(q.get("resource"), workerId);
      const window = Date.parse(q.get("endTime")!) - Date.parse(q.get("startTime")!);
      assert.ok(window >= 119_000 && window < 130_000, `window ${window} ms`);
    });

    it("fails on a forbidden line and on a suspended worker, and publishes without the key", async () => {
      logs.add(workerId, "panic: runtime error: index out of range", new Date(Date.now() - 5_000));
      const res = await fetch(`${render.url}/services/${workerId}/suspend`, {
        method: "POST",
        headers: { authorization: `Bearer ${KEY}` },
      });
      assert.ok(res.status < 300, `suspend answered ${res.status}`);
      const published: Notification[] = [];
      const report = await runMonitor(checkPlan(configOf(rawConfig(baseUrl)), "P2"), deps(published));
      assert.strictEqual(report.ok, false);
      const byName = Object.fromEntries(report.results.map((r) => [r.check, r]));
      assert.strictEqual(byName["worker-logs"].status, "fail");
      assert.match(byName["worker-logs"].reason, /a log line matches \/panic:\/: "panic: runtime error/);
      assert.strictEqual(byName["worker-alive"].status, "fail");
      assert.strictEqual(byName["worker-alive"].reason, `service ${workerId} is suspended`);
      assert.strictEqual(published.length, 1);
      assert.match(published[0].subject, /2 of 2 checks failed/);
      assert.ok(!published[0].message.includes(KEY));
      const resumed = await fetch(`${render.url}/services/${workerId}/resume`, {
        method: "POST",
        headers: { authorization: `Bearer ${KEY}` },
      });
      assert.ok(resumed.status < 300);
    });

    it("reports a worker Render does not know as a broken monitor naming the service", async () => {
      const raw = rawConfig(baseUrl);
      const fleet = raw["fleetgate:fleet"] as { services: { name: string }[] };
      const gates = raw["fleetgate:gates"] as { smoke: { checks: { target: string }[] } };
      fleet.services[0].name = "never-deployed";
      for (const c of gates.smoke.checks) c.target = "never-deployed";
      const published: Notification[] = [];
      const report = await runMonitor(checkPlan(configOf(raw), "P2"), deps(published));
      assert.strictEqual(report.ok, false);
      assert.match(
        published[0].message,
        /Render has no service named "never-deployed" in workspace tea-monitor/,
      );
    });
  });

  describe("scripts/run-checks.ts", () => {
    let dir: string;
    before(() => {
      dir = tempDir("run-checks-platform");
      fs.writeFileSync(path.join(dir, "Pulumi.probe.yaml"), stringify({ config: rawConfig(baseUrl) }));
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    const run = (env: Record<string, string>) =>
      runAsync(
        process.execPath,
        [
          require.resolve("ts-node/dist/bin"),
          "--transpile-only",
          path.join(REPO_ROOT, "scripts", "run-checks.ts"),
          "--stack",
          "probe",
          "--dir",
          dir,
        ],
        { cwd: REPO_ROOT, env },
      );

    it("runs both checks with the key from the environment, and fails on a new panic", async () => {
      // The earlier panics are in the window: start from a worker whose recent logs are clean.
      const fresh = render.createServiceByHand({
        type: "background_worker",
        name: "probe-worker-2",
        ownerId: OWNER,
        image: { imagePath: "ghcr.io/acme/worker:1.0.0" },
      }).id;
      for (let i = 0; i < 100 && render.liveDeployOf(fresh) === undefined; i++) {
        await new Promise((r) => setTimeout(r, 20));
      }
      const raw = rawConfig(baseUrl);
      const fleet = raw["fleetgate:fleet"] as { services: { name: string }[] };
      const gates = raw["fleetgate:gates"] as { smoke: { checks: { target: string }[] } };
      fleet.services[0].name = "probe-worker-2";
      for (const c of gates.smoke.checks) c.target = "probe-worker-2";
      fs.writeFileSync(path.join(dir, "Pulumi.probe.yaml"), stringify({ config: raw }));
      logs.add(fresh, "worker started", new Date(Date.now() - 10_000));

      const ok = await run({ FLEETGATE_SECRET_RENDER_API_KEY: KEY });
      assert.strictEqual(ok.code, 0, ok.output);
      assert.match(ok.stdout, /^2\/2 checks passed$/m);
      assert.ok(!ok.output.includes(KEY));

      logs.add(fresh, "panic: nil map", new Date(Date.now() - 1_000));
      const bad = await run({ FLEETGATE_SECRET_RENDER_API_KEY: KEY });
      assert.strictEqual(bad.code, 1, bad.output);
      assert.match(bad.stdout, /worker-logs\s+probe-worker-2\s+FAIL/);
      assert.match(bad.stdout, /worker-alive\s+probe-worker-2\s+PASS/);
      assert.ok(!bad.output.includes(KEY));

      const wrong = await run({ FLEETGATE_SECRET_RENDER_API_KEY: "rnd_wrong" });
      assert.notStrictEqual(wrong.code, 0);
      assert.match(wrong.output, /Render answered 401 to the lookup of service "probe-worker-2"/);
      assert.ok(!wrong.output.includes("rnd_wrong"));
    });
  });

  describe("scripts/run-checks.ts on the local platform", () => {
    let dir: string;
    before(() => {
      dir = tempDir("run-checks-local");
      const raw = rawConfig(baseUrl);
      raw["fleetgate:platform"] = { kind: "local" };
      const fleet = raw["fleetgate:fleet"] as { services: Record<string, unknown>[] };
      fleet.services[0].local = { command: ["node", "worker.js"], port: 4010 };
      const gates = raw["fleetgate:gates"] as { smoke: { checks: unknown[] } };
      gates.smoke.checks = gates.smoke.checks.slice(0, 1);
      fs.writeFileSync(path.join(dir, "Pulumi.probe.yaml"), stringify({ config: raw }));
      fs.mkdirSync(path.join(dir, ".fleetgate", "local", "probe", "logs"), { recursive: true });
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("reads the service's log file in the stack's state dir since its last start", async () => {
      const log = path.join(dir, ".fleetgate", "local", "probe", "logs", `${WORKER}.log`);
      const run = () =>
        runAsync(
          process.execPath,
          [
            require.resolve("ts-node/dist/bin"),
            "--transpile-only",
            path.join(REPO_ROOT, "scripts", "run-checks.ts"),
            "--stack",
            "probe",
            "--dir",
            dir,
          ],
          { cwd: REPO_ROOT, env: {} },
        );
      // A panic of the previous process, then a clean start: the window is the running process.
      fs.writeFileSync(
        log,
        "panic: old process\n--- fleetgate: start 2026-11-29T03:00:00Z\nworker started\n",
      );
      const ok = await run();
      assert.strictEqual(ok.code, 0, ok.output);
      assert.match(ok.stdout, /^1\/1 checks passed$/m);
      fs.appendFileSync(log, "panic: assignment to entry in nil map\n");
      const bad = await run();
      assert.strictEqual(bad.code, 1, bad.output);
      assert.match(bad.stdout, /worker-logs\s+probe-worker\s+FAIL\s+.*panic: assignment to entry in nil map/);
    });
  });
});
