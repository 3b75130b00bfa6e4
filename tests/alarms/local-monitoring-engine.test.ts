/**
 * The local stack monitors itself, through the real engine: the demo fleet as a `test-*` stack
 * with alarms.localMonitoring, so `up` also starts Prometheus and Alertmanager (Debian's
 * binaries) on loopback. A webhook receiver in this test gets the alerts Alertmanager sends:
 * a stopped service fires ServiceDown and the `up` that restarts it resolves it; a burst of
 * 5xx answers fires HighErrorRate. Short scrape, evaluation and group intervals; bounded waits.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as http from "http";
import { AddressInfo } from "net";
import * as path from "path";
import { REPO_ROOT, runPulumiAsync, tempDir } from "../support/engine";
import { DemoStack, demoStack, freeServicePort, portInUse, processAlive } from "../local/support";

interface Notification {
  status: "firing" | "resolved";
  receiver: string;
  alerts: { status: string; labels: Record<string, string> }[];
}

/** An Alertmanager webhook receiver on loopback that keeps every notification. */
async function startReceiver(): Promise<{ server: http.Server; url: string; got: Notification[] }> {
  const got: Notification[] = [];
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      try {
        got.push(JSON.parse(body) as Notification);
      } catch {
        /* not JSON: not an Alertmanager notification */
      }
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/alerts`, got };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits (at most `timeoutMs`) for an alert with this name, service and status; returns when it took. */
async function waitForAlert(
  got: Notification[],
  alertname: string,
  service: string,
  status: "firing" | "resolved",
  timeoutMs: number,
): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    const hit = got.some((n) =>
      n.alerts.some(
        (a) => a.status === status && a.labels.alertname === alertname && a.labels.service === service,
      ),
    );
    if (hit) return Date.now() - started;
    await sleep(250);
  }
  throw new Error(
    `no ${status} ${alertname} for ${service} within ${timeoutMs} ms; received: ${JSON.stringify(
      got.map((n) => n.alerts.map((a) => `${a.status}:${a.labels.alertname}:${a.labels.service}`)),
    )}`,
  );
}

describe("alarms: the local stack monitors itself (engine)", function () {
  this.timeout(600_000);
  let s: DemoStack;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let ports: { prometheus: number; alertmanager: number };
  const daemonPid = (name: string): number | undefined => {
    const state = path.join(s.dir, "backend", ".pulumi", "stacks", "fleetgate", `${s.stack}.json`);
    if (!fs.existsSync(state)) return undefined;
    const resources = JSON.parse(fs.readFileSync(state, "utf8")).checkpoint.latest?.resources ?? [];
    const r = resources.find((x: { urn: string }) => x.urn.endsWith(`monitoring-${name}`));
    return r?.outputs?.pid;
  };
  const up = () =>
    runPulumiAsync(["up", "--stack", s.stack, "--yes", "--skip-preview"], {
      cwd: REPO_ROOT,
      env: s.env,
      timeoutMs: 240_000,
    });

  before(async () => {
    receiver = await startReceiver();
    s = await demoStack("monitoring", tempDir("monitoring-engine"));
    ports = { prometheus: await freeServicePort(), alertmanager: await freeServicePort() };
    s.config["fleetgate:alarms"] = {
      cloudwatch: false,
      channels: [{ name: "receiver", kind: "webhook", url: receiver.url }],
      severities: Object.fromEntries(
        ["P1", "P2", "P3", "P4"].map((p) => [p, { responseMinutes: 0, channels: ["receiver"] }]),
      ),
      serviceDown: { periodSeconds: 10, windowSeconds: 10 },
      errorRate: { periodSeconds: 10, windowSeconds: 10, thresholdPercent: 5 },
      prometheus: { scrapeInterval: "1s", evaluationInterval: "1s", rateWindow: "15s" },
      alertmanager: { groupWait: "1s", groupInterval: "1s", repeatInterval: "1h" },
      localMonitoring: { prometheusPort: ports.prometheus, alertmanagerPort: ports.alertmanager },
    };
    s.write();
  });

  after(async () => {
    receiver.server.close();
    if (!s) return;
    const pids = {
      ...s.pids(),
      prometheus: daemonPid("prometheus"),
      alertmanager: daemonPid("alertmanager"),
    };
    const r = s.destroy();
    for (const pid of Object.values(pids)) if (pid && processAlive(pid)) process.kill(-pid, "SIGKILL");
    if (r.code !== 0) console.error(r.output);
    assert.strictEqual(r.code, 0, "destroy");
    for (const port of Object.values(ports))
      assert.ok(!(await portInUse(port)), `port ${port} is free after destroy`);
  });

  it("up starts Prometheus and Alertmanager, scraping every service with its service label", async () => {
    const r = await up();
    assert.strictEqual(r.code, 0, r.output);
    const out = s.outputs().monitoring;
    assert.deepStrictEqual(out, {
      prometheus: `http://127.0.0.1:${ports.prometheus}`,
      alertmanager: `http://127.0.0.1:${ports.alertmanager}`,
    });
    for (const name of ["prometheus", "alertmanager"])
      assert.ok(processAlive(daemonPid(name)!), `${name} runs`);
    // Bounded: the first scrapes happen within a few 1 s intervals.
    let series: { metric: Record<string, string>; value: [number, string] }[] = [];
    for (let i = 0; i < 60; i++) {
      const res = await fetch(`${out.prometheus}/api/v1/query?query=up`);
      series = ((await res.json()) as { data: { result: typeof series } }).data.result;
      if (series.length === 4 && series.every((x) => x.value[1] === "1")) break;
      await sleep(500);
    }
    assert.deepStrictEqual(series.map((x) => [x.metric.service, x.metric.job, x.value[1]]).sort(), [
      ["control-plane", "fleetgate-control-plane", "1"],
      ["dashboard", "fleetgate-dashboard", "1"],
      ["gateway", "fleetgate-gateway", "1"],
      ["worker", "fleetgate-worker", "1"],
    ]);
    const amConfig = path.join(s.stateDir, "monitoring", "alertmanager", "alertmanager.yml");
    assert.strictEqual(fs.statSync(amConfig).mode & 0o777, 0o600);
  });

  it("a stopped service: Alertmanager posts ServiceDown to the webhook; the up that restarts it resolves it", async () => {
    const pid = s.pids().dashboard;
    process.kill(-pid, "SIGTERM");
    const took = await waitForAlert(receiver.got, "ServiceDown", "dashboard", "firing", 90_000);
    assert.ok(took < 90_000);
    const firing = receiver.got.find((n) => n.alerts.some((a) => a.labels.alertname === "ServiceDown"))!;
    assert.strictEqual(firing.receiver, "fleetgate-P2");
    const alert = firing.alerts.find((a) => a.labels.alertname === "ServiceDown")!;
    assert.strictEqual(alert.labels.severity, "P2");
    assert.strictEqual(alert.labels.fleet, "demo");

    const r = await up();
    assert.strictEqual(r.code, 0, r.output);
    assert.notStrictEqual(s.pids().dashboard, pid, "up restarted the dashboard");
    await waitForAlert(receiver.got, "ServiceDown", "dashboard", "resolved", 90_000);
  });

  it("a burst of 5xx answers fires HighErrorRate; the next up restarts a monitoring server that died", async () => {
    // The gateway answers 502 while the control plane it forwards /api to is down.
    const cp = s.pids()["control-plane"];
    process.kill(-cp, "SIGTERM");
    for (let i = 0; i < 50 && processAlive(cp); i++) await sleep(100);
    const gateway = `http://127.0.0.1:${s.ports.gateway}`;
    const deadline = Date.now() + 90_000;
    let fired = false;
    while (!fired && Date.now() < deadline) {
      const codes = await Promise.all(
        Array.from({ length: 20 }, () => fetch(`${gateway}/api/health`).then((x) => x.status)),
      );
      assert.ok(
        codes.every((c) => c === 502),
        `gateway answered ${codes}`,
      );
      fired = receiver.got.some((n) =>
        n.alerts.some(
          (a) =>
            a.status === "firing" && a.labels.alertname === "HighErrorRate" && a.labels.service === "gateway",
        ),
      );
      await sleep(500);
    }
    assert.ok(fired, "HighErrorRate for gateway reached the webhook within 90 s");
    // A monitoring server that died is started again by the next up, like a service (that up
    // also restarts the control plane).
    const prometheusPid = daemonPid("prometheus")!;
    process.kill(-prometheusPid, "SIGKILL");
    for (let i = 0; i < 50 && processAlive(prometheusPid); i++) await sleep(100);
    const r = await up();
    assert.strictEqual(r.code, 0, r.output);
    const restarted = daemonPid("prometheus")!;
    assert.notStrictEqual(restarted, prometheusPid);
    assert.ok(processAlive(restarted), "prometheus runs again");
    assert.strictEqual((await fetch(`http://127.0.0.1:${ports.prometheus}/-/ready`)).status, 200);
  });
});
