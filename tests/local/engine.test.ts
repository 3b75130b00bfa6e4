/**
 * The local platform through the real engine: this project's index.ts run as a `test-*` stack
 * of the demo fleet on free ports and a temp state dir. One stack, steps in order; `after()`
 * destroys it so no process survives the run.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { readEnvFile } from "../../providers/local/files";
import { readStateFile, REPO_ROOT, runPulumi, tempDir } from "../support/engine";
import { DemoStack, demoStack, portInUse, processAlive } from "./support";

describe("local platform: demo fleet through the engine", function () {
  this.timeout(300_000);
  let s: DemoStack;
  let destroyed = false;
  let firstPids: Record<string, number> = {};
  let firstDaemonPids: Record<string, number> = {};
  const envFile = (svc: string) => path.join(s.stateDir, "env", `${svc}.env`);

  before(async () => {
    s = await demoStack("local-engine", tempDir("local-engine"));
  });

  after(() => {
    if (!s || destroyed) return;
    const pids = { ...s.pids(), ...s.daemonPids() };
    const r = s.destroy();
    // Belt and braces: never leave a demo process behind, even when destroy failed.
    for (const pid of Object.values(pids)) if (processAlive(pid)) process.kill(-pid, "SIGKILL");
    if (r.code !== 0) console.error(r.output);
  });

  it("up from scratch starts every service, healthy, with secrets encrypted in state", async () => {
    const r = s.up();
    assert.strictEqual(r.code, 0, r.output);
    const urls = s.outputs().serviceUrls as Record<string, string>;
    assert.deepStrictEqual(Object.keys(urls).sort(), ["control-plane", "dashboard", "gateway", "worker"]);
    for (const [name, url] of Object.entries(urls)) {
      const res = await fetch(`${url}/health`);
      assert.strictEqual(res.status, 200, `${name} /health`);
    }
    firstPids = s.pids();
    firstDaemonPids = s.daemonPids();
    for (const pid of Object.values(firstPids)) assert.ok(processAlive(pid));

    // The gateway forwards /api to the control plane with the generated API key.
    const apiKey = readEnvFile(envFile("control-plane"))!.API_KEY;
    assert.match(apiKey, /^[A-Za-z0-9_-]{43}$/);
    const me = await fetch(`${urls.gateway}/api/v1/me`, { headers: { authorization: `Bearer ${apiKey}` } });
    assert.strictEqual(me.status, 200);
    assert.ok(me.headers.get("x-request-id"));

    const state = readStateFile(s.dir, "fleetgate", s.stack);
    const secrets = readEnvFile(envFile("control-plane"))!;
    assert.ok(!state.includes(secrets.API_KEY), "the API key is not in the state in plain text");
    assert.ok(!state.includes(secrets.WEBHOOK_SIGNING_SECRET), "the signing secret is not in plain text");
    for (const t of ["local:Service", "local:EnvFile", "local:Secrets"]) {
      assert.ok(state.includes(`pulumi-nodejs:dynamic/${t}`), `${t} in state`);
    }
    assert.strictEqual(fs.statSync(envFile("control-plane")).mode & 0o777, 0o600);
  });

  it("the stack monitors itself: Prometheus scrapes every demo service (up == 1), Alertmanager answers", async () => {
    const local = s.config["fleetgate:alarms"].localMonitoring;
    const prometheus = `http://127.0.0.1:${local.prometheusPort}`;
    const alertmanager = `http://127.0.0.1:${local.alertmanagerPort}`;
    assert.deepStrictEqual(s.outputs().monitoring, { prometheus, alertmanager });
    assert.deepStrictEqual(Object.keys(s.daemonPids()).sort(), ["alertmanager", "prometheus"]);
    for (const pid of Object.values(s.daemonPids())) assert.ok(processAlive(pid));
    // The first scrape of each target happens within one scrape interval (15 s): bounded wait.
    type Series = { metric: Record<string, string>; value: [number, string] };
    let series: Series[] = [];
    for (let i = 0; i < 90; i++) {
      const res = await fetch(`${prometheus}/api/v1/query?query=up`);
      series = ((await res.json()) as { data: { result: Series[] } }).data.result;
      if (series.length === 4 && series.every((x) => x.value[1] === "1")) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    assert.deepStrictEqual(series.map((x) => [x.metric.service, x.value[1]]).sort(), [
      ["control-plane", "1"],
      ["dashboard", "1"],
      ["gateway", "1"],
      ["worker", "1"],
    ]);
    // Prometheus loaded the generated rules and knows the Alertmanager it sends to.
    const rules = (await (await fetch(`${prometheus}/api/v1/rules`)).json()) as {
      data: { groups: { rules: { name: string }[] }[] };
    };
    const names = rules.data.groups.flatMap((g) => g.rules.map((r) => r.name));
    assert.ok(names.includes("ServiceDown"), `rules loaded: ${names}`);
    const ams = (await (await fetch(`${prometheus}/api/v1/alertmanagers`)).json()) as {
      data: { activeAlertmanagers: { url: string }[] };
    };
    assert.deepStrictEqual(
      ams.data.activeAlertmanagers.map((a) => a.url),
      [`${alertmanager}/api/v2/alerts`],
    );
    const status = await fetch(`${alertmanager}/api/v2/status`);
    assert.strictEqual(status.status, 200);
    const body = (await status.json()) as { cluster: { status: string }; config: { original: string } };
    assert.match(body.config.original, /fleetgate-P1/);
    assert.strictEqual((await fetch(`${alertmanager}/api/v2/alerts`)).status, 200);
  });

  it("a second up with no change changes nothing and restarts nothing", () => {
    const r = s.up();
    assert.strictEqual(r.code, 0, r.output);
    assert.doesNotMatch(r.output, /\bupdated\b|\bcreated\b|\breplaced\b|\bdeleted\b/, r.output);
    assert.match(r.output, /\d+ unchanged/);
    assert.deepStrictEqual(s.pids(), firstPids);
    assert.deepStrictEqual(s.daemonPids(), firstDaemonPids, "Prometheus and Alertmanager kept running");
  });

  it("where setup could not install them (FLEETGATE_LOCAL_MONITORING=off), the program drops monitoring with a warning", () => {
    const r = runPulumi(["preview", "--stack", s.stack], {
      cwd: REPO_ROOT,
      env: { ...s.env, FLEETGATE_LOCAL_MONITORING: "off" },
    });
    assert.strictEqual(r.code, 0, r.output);
    assert.match(r.output, /FLEETGATE_LOCAL_MONITORING=off, so Prometheus and Alertmanager do not run/);
    assert.match(r.output, /monitoring:Daemon\s+demo-monitoring-prometheus\s+delete/);
    assert.match(r.output, /monitoring:Daemon\s+demo-monitoring-alertmanager\s+delete/);
    assert.doesNotMatch(r.output, /local:Service\s+\S+\s+(delete|update|replace)/);
  });

  it("changing one env var of a set updates and restarts only that set's services, keeping foreign keys", () => {
    const apiKey = readEnvFile(envFile("control-plane"))!.API_KEY;
    fs.appendFileSync(envFile("gateway"), "EXTRA_FLAG=set-by-hand\n");
    const frontend = s.config["fleetgate:fleet"].envSets.find((e: { name: string }) => e.name === "frontend");
    frontend.vars.LOG_LEVEL = "debug";
    s.write();
    const r = s.up();
    assert.strictEqual(r.code, 0, r.output);
    // One env file resource per service: only the frontend set's services change.
    assert.match(r.output, /local:EnvFile\s+demo-gateway-env\s+updated/);
    assert.match(r.output, /local:EnvFile\s+demo-dashboard-env\s+updated/);
    assert.doesNotMatch(r.output, /demo-(control-plane|worker)-env\s+updated/);
    const pids = s.pids();
    assert.notStrictEqual(pids.gateway, firstPids.gateway, "gateway restarted");
    assert.notStrictEqual(pids.dashboard, firstPids.dashboard, "dashboard restarted");
    assert.strictEqual(pids["control-plane"], firstPids["control-plane"], "control-plane kept running");
    assert.strictEqual(pids.worker, firstPids.worker, "worker kept running");
    assert.ok(!processAlive(firstPids.gateway), "the old gateway process is gone");

    const gatewayEnv = readEnvFile(envFile("gateway"))!;
    assert.strictEqual(gatewayEnv.LOG_LEVEL, "debug");
    assert.strictEqual(gatewayEnv.EXTRA_FLAG, "set-by-hand", "a key the set does not own is kept");
    assert.deepStrictEqual(s.outputs().foreignKeys.frontend.gateway, ["EXTRA_FLAG"]);
    assert.strictEqual(readEnvFile(envFile("control-plane"))!.API_KEY, apiKey, "generated secrets are kept");
    firstPids = pids;
  });

  it("a release whose command is broken fails the smoke gate, is rolled back, and up exits non-zero", async () => {
    const gateway = s.config["fleetgate:fleet"].services.find((x: { name: string }) => x.name === "gateway");
    gateway.image = "ghcr.io/fleetgate-demo/gateway:0.3.1";
    gateway.local.command = [
      "node",
      "-e",
      "console.error('gateway 0.3.1: missing config file'); process.exit(1)",
    ];
    s.config["fleetgate:gates"].smoke.rollbackOnFailure = true;
    s.write();
    const r = s.up();
    assert.notStrictEqual(r.code, 0, r.output);
    assert.match(r.output, /smoke suite failed/);
    assert.match(r.output, /gateway-health\s+gateway\s+FAIL/);
    assert.match(r.output, /dashboard-page\s+dashboard\s+PASS/);
    assert.match(r.output, /local:Service\s+demo-gateway\s+updated/, "the broken deploy itself is recorded");
    // rollbackOnFailure: the gate restarted the previous deploy through providers/local/rollback.ts.
    assert.match(r.output, /rolled back gateway from deploy 3 to deploy 2/);
    assert.strictEqual((await fetch(`${s.outputs().serviceUrls.gateway}/health`)).status, 200);
  });

  it("fixing the release and a service that died: the next up restarts both and passes", async () => {
    const gateway = s.config["fleetgate:fleet"].services.find((x: { name: string }) => x.name === "gateway");
    gateway.image = "ghcr.io/fleetgate-demo/gateway:0.3.2";
    gateway.local.command = ["node", "examples/demo/gateway/server.js"];
    s.write();
    process.kill(-firstPids.dashboard, "SIGKILL");
    for (let i = 0; i < 50 && processAlive(firstPids.dashboard); i++)
      await new Promise((r) => setTimeout(r, 100));
    const r = s.up();
    assert.strictEqual(r.code, 0, r.output);
    const pids = s.pids();
    assert.notStrictEqual(pids.dashboard, firstPids.dashboard);
    assert.ok(processAlive(pids.dashboard) && processAlive(pids.gateway));
    assert.strictEqual(pids.worker, firstPids.worker);
    const urls = s.outputs().serviceUrls;
    assert.strictEqual((await fetch(`${urls.dashboard}/`)).status, 200);
    assert.strictEqual((await fetch(`${urls.gateway}/health`)).status, 200);
    firstPids = pids;
  });

  it("a migration that drops a critical table fails the update with DATA LOSS DETECTED", () => {
    const migrations = path.join(s.dir, "migrations");
    fs.cpSync(path.join(REPO_ROOT, "examples/demo/migrations"), migrations, { recursive: true });
    fs.writeFileSync(path.join(migrations, "004_drop_accounts.sql"), "DROP TABLE accounts;\n");
    const backend = s.config["fleetgate:fleet"].envSets.find((e: { name: string }) => e.name === "backend");
    backend.vars.MIGRATIONS_DIR = migrations;
    s.write();
    const r = s.up();
    assert.notStrictEqual(r.code, 0, r.output);
    assert.match(r.output, /DATA LOSS DETECTED/);
    assert.match(r.output, /main\.accounts/);
  });

  it("destroy leaves no process and no port in use (Prometheus and Alertmanager too); foreign keys stay", async () => {
    const pids = { ...s.pids(), ...s.daemonPids() };
    assert.strictEqual(Object.keys(pids).length, 6, `services and monitoring servers: ${Object.keys(pids)}`);
    const r = s.destroy();
    destroyed = true;
    assert.strictEqual(r.code, 0, r.output);
    for (const [svc, pid] of Object.entries(pids))
      assert.ok(!processAlive(pid), `${svc} (pid ${pid}) stopped`);
    const local = s.config["fleetgate:alarms"].localMonitoring;
    const ports = { ...s.ports, prometheus: local.prometheusPort, alertmanager: local.alertmanagerPort };
    for (const [svc, port] of Object.entries(ports))
      assert.ok(!(await portInUse(port)), `${svc} port ${port} free`);
    assert.deepStrictEqual(readEnvFile(envFile("gateway")), { EXTRA_FLAG: "set-by-hand" });
    assert.ok(!fs.existsSync(envFile("control-plane")));
  });
});
