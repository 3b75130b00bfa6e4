/**
 * The local platform's providers called directly (no engine): real processes on loopback,
 * real env files in a temp state dir.
 */
import * as assert from "assert";
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as path from "path";
import { mergeEnvVars } from "../../providers/envsets/merge";
import { envFileProvider, EnvFileInputs, EnvFileOutputs } from "../../providers/local/envfile";
import { readEnvFile } from "../../providers/local/files";
import { isOurProcess, procStat, psStat } from "../../providers/local/process";
import { rollback } from "../../providers/local/rollback";
import { secretsProvider } from "../../providers/local/secrets";
import { localServiceProvider, LocalServiceInputs, LocalServiceOutputs } from "../../providers/local/service";
import { tempDir } from "../support/engine";
import { freeServicePort as freePort, portInUse, processAlive } from "./support";

/** A tiny service: /health answers 200 with $MESSAGE; IGNORE_TERM=1 makes it ignore SIGTERM. */
const SERVER = `
const http = require("http");
if (process.env.IGNORE_TERM === "1") process.on("SIGTERM", () => {});
http.createServer((req, res) => {
  res.writeHead(req.url === "/health" ? 200 : 404, { "content-type": "text/plain" });
  res.end(process.env.MESSAGE || "");
}).listen(Number(process.env.PORT), "127.0.0.1", () => console.log("listening"));
`;

function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, (res) => {
        let body = "";
        res.on("data", (c) => (body += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on("error", reject);
  });
}

describe("local: env-var merge rule", () => {
  it("keeps foreign keys, drops owned keys no longer declared, sets declared ones", () => {
    const r = mergeEnvVars({ A: "1", B: "2", HAND: "x" }, ["A", "B"], { A: "10", C: "3" });
    assert.deepStrictEqual(r.merged, { HAND: "x", A: "10", C: "3" });
    assert.deepStrictEqual(r.foreignKeys, ["HAND"]);
    assert.deepStrictEqual(r.removedKeys, ["B"]);
  });
  it("takes over a foreign key once the set declares it", () => {
    const r = mergeEnvVars({ HAND: "x" }, [], { HAND: "y" });
    assert.deepStrictEqual(r.merged, { HAND: "y" });
    assert.deepStrictEqual(r.foreignKeys, []);
  });
});

describe("local: EnvFile provider", () => {
  let stateDir: string;
  const inputs = (values: Record<string, Record<string, string>>): EnvFileInputs => ({
    setName: "frontend",
    services: Object.keys(values),
    environment: "test",
    keys: [...new Set(Object.values(values).flatMap(Object.keys))].sort(),
    plainKeys: [],
    values,
    stateDir,
  });
  const file = (svc: string) => path.join(stateDir, "env", `${svc}.env`);
  beforeEach(() => (stateDir = tempDir("envfile")));

  it("writes one private file per service and bumps only the changed service's generation", async () => {
    const first = inputs({ a: { K: "1", SECRET: 'va"l\nue' }, b: { K: "1" } });
    const created = (await envFileProvider.create!(first)).outs as EnvFileOutputs;
    assert.deepStrictEqual(readEnvFile(file("a")), { K: "1", SECRET: 'va"l\nue' });
    assert.strictEqual(fs.statSync(file("a")).mode & 0o777, 0o600);
    assert.deepStrictEqual(created.generations, { a: 1, b: 1 });

    const second = inputs({ a: { K: "2", SECRET: 'va"l\nue' }, b: { K: "1" } });
    const diff = await envFileProvider.diff!("frontend", created, second);
    assert.ok(diff.changes);
    const updated = (await envFileProvider.update!("frontend", created, second)).outs as EnvFileOutputs;
    assert.deepStrictEqual(updated.generations, { a: 2, b: 1 });
    assert.strictEqual(readEnvFile(file("a"))!.K, "2");
  });

  it("keeps and reports keys it does not own, removes owned keys no longer declared", async () => {
    const created = (await envFileProvider.create!(inputs({ a: { K: "1", OLD: "o" } })))
      .outs as EnvFileOutputs;
    fs.appendFileSync(file("a"), "HAND=set-by-hand\n");
    const read = (await envFileProvider.read!("frontend", created)).props as EnvFileOutputs;
    assert.deepStrictEqual(read.foreignKeys, { a: ["HAND"] });

    const updated = (await envFileProvider.update!("frontend", read, inputs({ a: { K: "1" } })))
      .outs as EnvFileOutputs;
    assert.deepStrictEqual(readEnvFile(file("a")), { HAND: "set-by-hand", K: "1" });
    assert.deepStrictEqual(updated.foreignKeys, { a: ["HAND"] });

    await envFileProvider.delete!("frontend", updated);
    assert.deepStrictEqual(readEnvFile(file("a")), { HAND: "set-by-hand" }, "delete keeps foreign keys");
  });

  it("refresh shows a value changed by hand as drift", async () => {
    const created = (await envFileProvider.create!(inputs({ a: { K: "1" } }))).outs as EnvFileOutputs;
    fs.writeFileSync(file("a"), "K=changed\n");
    const read = (await envFileProvider.read!("frontend", created)).props as EnvFileOutputs;
    const diff = await envFileProvider.diff!("frontend", read, inputs({ a: { K: "1" } }));
    assert.ok(diff.changes);
  });

  it("diff finds a file removed or edited by hand without a refresh", async () => {
    const created = (await envFileProvider.create!(inputs({ a: { K: "1" } }))).outs as EnvFileOutputs;
    assert.strictEqual((await envFileProvider.diff!("a", created, inputs({ a: { K: "1" } }))).changes, false);
    fs.rmSync(file("a"));
    assert.ok((await envFileProvider.diff!("a", created, inputs({ a: { K: "1" } }))).changes);
    const again = (await envFileProvider.update!("a", created, inputs({ a: { K: "1" } })))
      .outs as EnvFileOutputs;
    assert.deepStrictEqual(readEnvFile(file("a")), { K: "1" });
    assert.strictEqual(again.generations.a, 2, "the rewrite restarts the service");
  });

  it("fails closed: an unreadable file stops the push before anything is written", async () => {
    fs.mkdirSync(file("b"), { recursive: true }); // a directory where b's env file should be
    await assert.rejects(
      envFileProvider.create!(inputs({ a: { K: "secret-value" }, b: { K: "secret-value" } })),
      (e: Error) =>
        /service b/.test(e.message) &&
        /nothing was written/.test(e.message) &&
        !/secret-value/.test(e.message),
    );
    assert.ok(!fs.existsSync(file("a")));
  });
});

describe("local: Secrets provider", () => {
  it("creates random values once and keeps them when names are added", async () => {
    const created = (await secretsProvider.create!({ names: ["api-key", "signing"] })).outs;
    assert.match(created.values["api-key"], /^[A-Za-z0-9_-]{43}$/);
    assert.notStrictEqual(created.values["api-key"], created.values.signing);
    const noChange = await secretsProvider.diff!("generated-secrets", created, {
      names: ["signing", "api-key"],
    });
    assert.strictEqual(noChange.changes, false);
    const updated = (
      await secretsProvider.update!("generated-secrets", created, { names: ["api-key", "signing", "new"] })
    ).outs;
    assert.strictEqual(updated.values["api-key"], created.values["api-key"]);
    assert.strictEqual(updated.values.signing, created.values.signing);
    assert.match(updated.values.new, /^[A-Za-z0-9_-]{43}$/);
  });
});

describe("local: Service provider", function () {
  this.timeout(60_000);
  let dir: string;
  let stateDir: string;
  let live: LocalServiceOutputs[] = [];

  const service = async (over: Partial<LocalServiceInputs> = {}): Promise<LocalServiceInputs> => ({
    name: "svc",
    serviceType: "web",
    image: "ghcr.io/example/svc:1.0.0",
    public: true,
    healthCheckPath: "/health",
    command: ["node", "server.js"],
    port: await freePort(),
    projectDir: dir,
    stateDir,
    startTimeoutSeconds: 10,
    envGeneration: 0,
    failOnUnhealthy: false,
    ...over,
  });
  const create = async (inputs: LocalServiceInputs) => {
    const outs = (await localServiceProvider.create!(inputs)).outs as LocalServiceOutputs;
    live.push(outs);
    return outs;
  };
  const writeEnv = (svc: string, text: string) => {
    fs.mkdirSync(path.join(stateDir, "env"), { recursive: true });
    fs.writeFileSync(path.join(stateDir, "env", `${svc}.env`), text);
  };

  beforeEach(() => {
    dir = tempDir("svc");
    stateDir = path.join(dir, "state");
    fs.writeFileSync(path.join(dir, "server.js"), SERVER);
  });
  afterEach(async () => {
    for (const o of live) await localServiceProvider.delete!(o.name, o);
    live = [];
  });

  it("starts a detached process with its env file, healthy, and recognises it on read", async () => {
    writeEnv("svc", 'MESSAGE="hello from env"\n');
    const outs = await create(await service({ envGeneration: 1 }));
    assert.strictEqual(outs.status, "live");
    assert.ok(processAlive(outs.pid));
    assert.strictEqual(outs.url, `http://127.0.0.1:${outs.port}`);
    assert.deepStrictEqual(await get(`${outs.url}/`), { status: 404, body: "hello from env" });
    const read = (await localServiceProvider.read!("svc", outs)).props as LocalServiceOutputs;
    assert.strictEqual(read.status, "live");
    const same = await localServiceProvider.diff!(
      "svc",
      outs,
      await service({ envGeneration: 1, port: outs.port }),
    );
    assert.strictEqual(same.changes, false);
  });

  it("restarts on a new env generation; other input changes do not restart", async () => {
    writeEnv("svc", "MESSAGE=one\n");
    const first = await create(await service({ envGeneration: 1 }));
    const relabel = (await localServiceProvider.update!("svc", first, { ...first, startTimeoutSeconds: 20 }))
      .outs as LocalServiceOutputs;
    assert.strictEqual(relabel.pid, first.pid);
    writeEnv("svc", "MESSAGE=two\n");
    const second = (await localServiceProvider.update!("svc", relabel, { ...relabel, envGeneration: 2 }))
      .outs as LocalServiceOutputs;
    live.push(second);
    assert.notStrictEqual(second.pid, first.pid);
    assert.ok(!processAlive(first.pid), "the old process is stopped");
    assert.strictEqual((await get(`${second.url}/`)).body, "two");
  });

  it("guards against pid reuse: a record whose start time does not match is not ours", async () => {
    const stranger = spawn("sleep", ["30"], { stdio: "ignore" });
    try {
      const outs = await create(await service());
      // Pretend the service died and its pid was reused by another process.
      const record = path.join(stateDir, "services", "svc", "process.json");
      const real = fs.readFileSync(record, "utf8");
      fs.writeFileSync(
        record,
        JSON.stringify({ pid: stranger.pid, startTime: "1", deployId: outs.deployId }),
      );
      const read = (await localServiceProvider.read!("svc", outs)).props as LocalServiceOutputs;
      assert.strictEqual(read.status, "stopped");
      assert.deepStrictEqual(read.live, { deployId: 0, pid: 0 });
      const diff = await localServiceProvider.diff!("svc", read, await service({ port: outs.port }));
      assert.ok(diff.changes, "a stopped service is redeployed by the next up");
      await localServiceProvider.delete!("svc", read);
      assert.ok(processAlive(stranger.pid!), "a process that is not ours is never signalled");
      // The real service is still running: stop it through its true record.
      fs.mkdirSync(path.dirname(record), { recursive: true });
      fs.writeFileSync(record, real);
    } finally {
      stranger.kill("SIGKILL");
    }
  });

  it("a broken command is a failed deploy with the reason and the log tail", async () => {
    fs.writeFileSync(
      path.join(dir, "broken.js"),
      'console.error("boom: cannot parse config"); process.exit(3);',
    );
    const outs = await create(await service({ command: ["node", "broken.js"] }));
    assert.strictEqual(outs.status, "failed");
    assert.match(outs.reason, /exited with code 3/);
    assert.match(outs.reason, /boom: cannot parse config/);
  });

  it("with failOnUnhealthy a broken deploy throws and leaves no process", async () => {
    const inputs = await service({
      command: ["node", "-e", "setInterval(() => {}, 1000)"],
      startTimeoutSeconds: 2,
      failOnUnhealthy: true,
    });
    await assert.rejects(
      localServiceProvider.create!(inputs),
      /service svc: deploy 1 failed: not healthy within 2 s/,
    );
    const rec = path.join(stateDir, "services", "svc", "process.json");
    assert.ok(!fs.existsSync(rec));
    assert.ok(!(await portInUse(inputs.port)));
  });

  it("refuses to start on a port another process holds", async () => {
    const port = await freePort();
    const other = http.createServer((_q, s) => s.end("other")).listen(port, "127.0.0.1");
    try {
      await assert.rejects(
        localServiceProvider.create!(await service({ port })),
        /port \d+ is in use by another process/,
      );
    } finally {
      other.close();
    }
  });

  it("delete sends SIGTERM, then SIGKILL after the grace period", async () => {
    writeEnv("svc", "IGNORE_TERM=1\n");
    const outs = (await localServiceProvider.create!(await service({ envGeneration: 1 })))
      .outs as LocalServiceOutputs;
    const t = Date.now();
    await localServiceProvider.delete!("svc", outs);
    assert.ok(!processAlive(outs.pid));
    assert.ok(Date.now() - t >= 4500, "waited for the grace period before SIGKILL");
    assert.ok(!(await portInUse(outs.port)));
  });

  it("rollback restarts the previous deploy's command and env", async () => {
    writeEnv("svc", "MESSAGE=good\n");
    const good = await create(await service({ envGeneration: 1 }));
    fs.writeFileSync(path.join(dir, "broken.js"), "process.exit(1)");
    const bad = (await localServiceProvider.update!("svc", good, { ...good, command: ["node", "broken.js"] }))
      .outs as LocalServiceOutputs;
    assert.strictEqual(bad.status, "failed");
    const result = await rollback({ platform: "local", stateDir, service: "svc" });
    assert.match(result.summary, /rolled back svc from deploy 2 to deploy 1/);
    assert.strictEqual(result.liveImage, good.image, "names the image that is live again");
    assert.strictEqual(result.liveDeploy, "3");
    assert.strictEqual((await get(`${good.url}/`)).body, "good");
    // Refresh records the drift but keeps the deploy pulumi made, so the next up still acts.
    const read = (await localServiceProvider.read!("svc", bad)).props as LocalServiceOutputs;
    assert.strictEqual(read.status, "drifted");
    assert.strictEqual(read.deployId, 2);
    assert.deepStrictEqual(read.live.deployId, 3);
    const reread = (await localServiceProvider.read!("svc", read)).props as LocalServiceOutputs;
    assert.strictEqual(reread.status, "drifted", "a second refresh does not forget the drift");
    const diff = await localServiceProvider.diff!("svc", reread, { ...bad, command: ["node", "server.js"] });
    assert.ok(diff.changes);
    live.push({ ...read, pid: read.live.pid, deployId: 3 });
  });

  it("diff runs the live check without a refresh: drifted, crashed and unhealthy deploys redeploy", async () => {
    writeEnv("svc", "MESSAGE=one\n");
    const outs = await create(await service({ envGeneration: 1 }));
    const inputs = await service({ envGeneration: 1, port: outs.port });
    assert.strictEqual((await localServiceProvider.diff!("svc", outs, inputs)).changes, false);
    // Another deploy of ours is live (a rollback, a restart by hand through the records).
    const record = path.join(stateDir, "services", "svc", "process.json");
    const rec = JSON.parse(fs.readFileSync(record, "utf8"));
    fs.writeFileSync(record, JSON.stringify({ ...rec, deployId: rec.deployId + 7 }));
    assert.ok((await localServiceProvider.diff!("svc", outs, inputs)).changes, "another deploy is live");
    fs.writeFileSync(record, JSON.stringify(rec));
    // Unhealthy: the same process, but its health path fails.
    const unhealthy = { ...outs, healthCheckPath: "/missing" };
    const d2 = await localServiceProvider.diff!("svc", unhealthy, { ...inputs, healthCheckPath: "/missing" });
    assert.ok(d2.changes, "a process failing its health path is redeployed");
    // Crashed: the process is gone.
    process.kill(outs.pid, "SIGKILL");
    for (let i = 0; i < 50 && processAlive(outs.pid); i++) await new Promise((r) => setTimeout(r, 100));
    assert.ok(
      (await localServiceProvider.diff!("svc", outs, inputs)).changes,
      "a dead process is redeployed",
    );
    const redeployed = (await localServiceProvider.update!("svc", outs, inputs)).outs as LocalServiceOutputs;
    live.push(redeployed);
    assert.strictEqual(redeployed.deployId, outs.deployId + 1);
    assert.strictEqual(redeployed.status, "live");
  });

  it("delete removes the deploy records (with their env copies) but keeps the log", async () => {
    writeEnv("svc", "MESSAGE=secret-value\n");
    const outs = (await localServiceProvider.create!(await service({ envGeneration: 1 })))
      .outs as LocalServiceOutputs;
    assert.ok(fs.existsSync(path.join(stateDir, "services", "svc", "deploys", "1.env")));
    await localServiceProvider.delete!("svc", outs);
    assert.ok(!fs.existsSync(path.join(stateDir, "services", "svc")));
    assert.ok(fs.existsSync(outs.logFile));
  });

  it("procStat reads the start time of a live process", () => {
    const stat = procStat(process.pid);
    assert.ok(stat && /^proc:\d+$/.test(stat.startTime));
  });

  it("psStat (the path macOS takes) reads start time and state, and knows a dead pid", () => {
    const stat = psStat(process.pid);
    assert.ok(stat, "ps sees this process");
    assert.match(stat.startTime, /^ps:\w{3} \w{3} +\d+ \d\d:\d\d:\d\d \d{4}$/);
    assert.match(stat.state, /^[RS]/);
    assert.strictEqual(psStat(process.pid)?.startTime, stat.startTime, "stable across calls");
    const done = spawnSync("true");
    assert.strictEqual(psStat(done.pid!), undefined);
  });

  it("with FLEETGATE_PROCESS_INFO=ps a service is started, recognised, redeployed and stopped through ps", async () => {
    process.env.FLEETGATE_PROCESS_INFO = "ps";
    try {
      const outs = await create(await service());
      assert.match(outs.startTime, /^ps:/);
      assert.ok(isOurProcess(outs));
      const inputs = await service({ port: outs.port });
      assert.strictEqual((await localServiceProvider.diff!("svc", outs, inputs)).changes, false);
      assert.ok(!isOurProcess({ pid: outs.pid, startTime: "ps:Thu Jan  1 00:00:00 1970" }));
      await localServiceProvider.delete!("svc", outs);
      assert.ok(!processAlive(outs.pid));
    } finally {
      delete process.env.FLEETGATE_PROCESS_INFO;
    }
  });
});
