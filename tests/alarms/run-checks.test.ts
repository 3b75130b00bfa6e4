/**
 * scripts/run-checks.ts, what the health-monitor workflow runs: a stack's smoke checks against
 * live endpoints (here real servers on loopback), secrets from the environment.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as http from "http";
import { AddressInfo } from "net";
import * as path from "path";
import { stringify } from "yaml";
import { secretEnvName } from "../../scripts/run-checks";
import { REPO_ROOT, runAsync, tempDir } from "../support/engine";

const KEY = "canary-key-8f3e1d";

describe("scripts/run-checks.ts", function () {
  this.timeout(60_000);
  let server: http.Server;
  let healthy = true;
  let dir: string;

  before(async () => {
    server = http.createServer((req, res) => {
      if (req.url === "/health") {
        res.writeHead(healthy ? 200 : 503, { "content-type": "application/json" });
        res.end(JSON.stringify({ status: healthy ? "ok" : "down" }));
      } else if (req.url === "/v1/me") {
        const ok = req.headers.authorization === `Bearer ${KEY}`;
        res.writeHead(ok ? 200 : 401).end();
      } else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    dir = tempDir("run-checks");
    const config = {
      config: {
        "fleetgate:platform": { kind: "render", ownerId: "tea-runchecks" },
        "fleetgate:fleet": {
          name: "probe",
          environment: "dev",
          services: [
            {
              name: "probe-api",
              type: "web",
              image: "ghcr.io/acme/api:1.0.0",
              healthCheckPath: "/health",
              url,
            },
          ],
        },
        "fleetgate:gates": {
          smoke: {
            checks: [
              {
                name: "api-health",
                kind: "json",
                target: "probe-api",
                path: "/health",
                field: "status",
                equals: "ok",
              },
              {
                name: "api-key",
                kind: "apiKey",
                target: "probe-api",
                path: "/v1/me",
                validKey: { secret: "smokeApiKey" },
              },
            ],
          },
        },
      },
    };
    fs.writeFileSync(path.join(dir, "Pulumi.probe.yaml"), stringify(config));
  });

  after(() => {
    server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  // Async: the endpoints are served by this very process.
  const run = (env: Record<string, string> = {}, extra: string[] = []) =>
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
        ...extra,
      ],
      { cwd: REPO_ROOT, env },
    );

  it("names the env var that carries a secret", () => {
    assert.strictEqual(secretEnvName("smokeApiKey"), "FLEETGATE_SECRET_SMOKE_API_KEY");
  });

  it("passes against healthy endpoints and never prints the key", async () => {
    healthy = true;
    const r = await run({ FLEETGATE_SECRET_SMOKE_API_KEY: KEY });
    assert.strictEqual(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^2\/2 checks passed$/m);
    assert.ok(!(r.stdout + r.stderr).includes(KEY));
  });

  it("exits 1 with the result table when a check fails", async () => {
    healthy = false;
    const r = await run({ FLEETGATE_SECRET_SMOKE_API_KEY: KEY });
    assert.strictEqual(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /api-health/);
    assert.match(r.stdout, /fail/i);
    assert.ok(!(r.stdout + r.stderr).includes(KEY));
  });

  it("appends each run to the evidence ledger with its verdict", async () => {
    const ledger = path.join(dir, "ledger.jsonl");
    healthy = true;
    const first = await run({ FLEETGATE_SECRET_SMOKE_API_KEY: KEY }, ["--ledger", ledger]);
    assert.strictEqual(first.code, 0, first.output);
    healthy = false;
    assert.strictEqual((await run({ FLEETGATE_SECRET_SMOKE_API_KEY: KEY }, ["--ledger", ledger])).code, 1);
    // No key at all: the monitor cannot run its checks, which is recorded as not ok.
    healthy = true;
    assert.strictEqual((await run({}, ["--ledger", ledger])).code, 1);
    const records = fs
      .readFileSync(ledger, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    assert.deepStrictEqual(
      records.map((r) => [r.kind, r.stack, r.ok]),
      [
        ["monitor", "probe", true],
        ["monitor", "probe", false],
        ["monitor", "probe", false],
      ],
    );
    assert.deepStrictEqual(
      records[1].checks.find((c: { check: string }) => c.check === "api-health").status,
      "fail",
    );
    assert.ok(!fs.readFileSync(ledger, "utf8").includes(KEY));
  });

  it("refuses a missing --stack with usage and exit 2", async () => {
    const r = await runAsync(
      process.execPath,
      [
        require.resolve("ts-node/dist/bin"),
        "--transpile-only",
        path.join(REPO_ROOT, "scripts", "run-checks.ts"),
      ],
      { cwd: REPO_ROOT },
    );
    assert.strictEqual(r.code, 2);
    assert.match(r.stderr, /--stack is required/);
  });
});
