/**
 * The S3 evidence ledger against a real S3-compatible server (moto_server on loopback): records
 * written by one writer are read back by another; scripts/run-checks.ts and the monitor Lambda
 * (the archive its Function receives, run as Lambda would) append their monitor records there.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as http from "http";
import { AddressInfo } from "net";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { stringify } from "yaml";
import { HealthMonitor } from "../../components/monitor";
import { ledgerBackend } from "../../lib/ledger/backend";
import type { LedgerRecord } from "../../lib/ledger/record";
import { readS3RecordsSync, S3LedgerTarget } from "../../lib/ledger/s3";
import { REPO_ROOT, runAsync, tempDir } from "../support/engine";
import { unpackArchive } from "../alarms/lambda-runtime";
import { Moto, MOTO_ENV, startMoto } from "./moto";

const BUCKET = "fleetgate-evidence";

const monitorRec = (ok: boolean, minutesAgo: number): LedgerRecord => ({
  kind: "monitor",
  time: new Date(Date.now() - minutesAgo * 60_000).toISOString(),
  stack: "prod",
  environment: "prod",
  fleet: "probe",
  checks: [],
  ok,
});

describe("evidence: the S3 ledger (moto_server on loopback)", function () {
  this.timeout(120_000);
  let moto: Moto;
  let target: S3LedgerTarget;
  let server: http.Server;
  let healthy = false;
  let url: string;
  let dir: string;

  before(async () => {
    moto = await startMoto();
    await moto.createBucket(BUCKET);
    target = { bucket: BUCKET, prefix: "fleetgate/ledger/", endpoint: moto.endpoint };
    server = http.createServer((req, res) => {
      res.writeHead(req.url === "/health" && healthy ? 200 : 503, { "content-type": "application/json" });
      res.end(JSON.stringify({ status: healthy ? "ok" : "down" }));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    dir = tempDir("s3-ledger");
  });
  after(async () => {
    server.close();
    await moto?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("one writer appends, another reads the same records back, oldest first (also synchronously)", async () => {
    const writer = ledgerBackend({ file: "/nonexistent/ignored.jsonl", stack: "prod", s3: target });
    assert.strictEqual(writer.location, `s3://${BUCKET}/fleetgate/ledger/prod/`);
    await writer.append(monitorRec(true, 1));
    await writer.append(monitorRec(false, 5));
    const reader = ledgerBackend({ file: "/nonexistent/other.jsonl", stack: "prod", s3: { ...target } });
    const { records, skipped } = await reader.read();
    assert.strictEqual(skipped, 0);
    assert.deepStrictEqual(
      records.map((r) => (r as { ok: boolean }).ok),
      [false, true],
    );
    const sync = readS3RecordsSync(target, "prod");
    assert.deepStrictEqual(sync.records, records);
    // Another stack's prefix holds none of them.
    assert.deepStrictEqual((await ledgerBackend({ file: "", stack: "dev", s3: target }).read()).records, []);
    await moto.client.send(
      new (require("@aws-sdk/client-s3").PutObjectCommand)({
        Bucket: BUCKET,
        Key: "fleetgate/ledger/prod/zzz-torn.json",
        Body: "{not json",
      }),
    );
    assert.strictEqual((await reader.read()).skipped, 1);
  });

  it("a bucket that cannot be read is an error naming it, never an empty ledger", async () => {
    const missing = { ...target, bucket: "no-such-bucket" };
    await assert.rejects(
      ledgerBackend({ file: "", stack: "prod", s3: missing }).read(),
      /s3:\/\/no-such-bucket\/fleetgate\/ledger\/prod\//,
    );
    assert.throws(
      () => readS3RecordsSync(missing, "prod"),
      /cannot read the evidence ledger s3:\/\/no-such-bucket/,
    );
  });

  it("scripts/run-checks.ts appends its monitor record to the bucket", async () => {
    const config = {
      config: {
        "fleetgate:platform": { kind: "render", ownerId: "tea-evidence" },
        "fleetgate:fleet": {
          name: "probe",
          environment: "prod",
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
          ledger: { s3: { bucket: BUCKET, endpoint: moto.endpoint } },
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
            ],
          },
        },
      },
    };
    fs.writeFileSync(path.join(dir, "Pulumi.checks.yaml"), stringify(config));
    healthy = false;
    const r = await runAsync(
      process.execPath,
      [
        require.resolve("ts-node/dist/bin"),
        "--transpile-only",
        path.join(REPO_ROOT, "scripts", "run-checks.ts"),
        "--stack",
        "checks",
        "--dir",
        dir,
      ],
      { cwd: REPO_ROOT, env: MOTO_ENV },
    );
    assert.strictEqual(r.code, 1, r.output);
    assert.match(
      r.stdout,
      /evidence: appended a monitor record to s3:\/\/fleetgate-evidence\/fleetgate\/ledger\/checks\//,
    );
    const objects = Object.values(await moto.objects(BUCKET, "fleetgate/ledger/checks/")) as LedgerRecord[];
    assert.strictEqual(objects.length, 1);
    assert.strictEqual(objects[0].kind, "monitor");
    assert.strictEqual((objects[0] as { ok: boolean }).ok, false);
    assert.deepStrictEqual(
      objects[0].checks.map((c) => [c.check, c.status]),
      [["api-health", "fail"]],
    );
  });

  it("the monitor Lambda (its deployed archive) appends each run's record to the bucket", async () => {
    let fnInputs: Record<string, unknown> | undefined;
    let policy: string | undefined;
    pulumi.runtime.setMocks(
      {
        newResource: (args) => {
          if (args.type === "aws:lambda/function:Function") fnInputs = args.inputs;
          if (args.type === "aws:iam/rolePolicy:RolePolicy") policy = args.inputs.policy as string;
          return { id: `${args.name}-id`, state: { ...args.inputs, arn: `arn:aws:mock:::${args.name}` } };
        },
        call: (args) => args.inputs,
      },
      "fleetgate",
      "prod",
      false,
    );
    const monitor = new HealthMonitor("monitor", {
      plan: {
        fleet: "probe",
        environment: "prod",
        stack: "prod",
        severity: "P2",
        retries: 0,
        checks: [
          {
            name: "api-health",
            kind: "json",
            target: "probe-api",
            url: `${url}/health`,
            timeoutMs: 2000,
            field: "status",
            equals: "ok",
          } as never,
        ],
      },
      schedule: "rate(12 hours)",
      topicArn: "arn:aws:sns:us-east-1:123456789012:probe-prod-p2",
      secrets: {},
      region: "us-east-1",
      timeoutSeconds: 60,
      namePrefix: "probe-prod",
      ledger: { ...target, prefix: "lambda/" },
    });
    await new Promise((resolve) => monitor.functionArn.apply(resolve));
    for (let i = 0; i < 100 && (!fnInputs || !policy); i++) await new Promise((r) => setTimeout(r, 20));
    assert.ok(fnInputs && policy);
    assert.deepStrictEqual(JSON.parse(policy).Statement.at(-1), {
      Effect: "Allow",
      Action: "s3:PutObject",
      Resource: `arn:aws:s3:::${BUCKET}/lambda/prod/*`,
    });
    const fnDir = path.join(dir, "lambda");
    await unpackArchive(fnInputs.code, fnDir);
    // The runtime's SDK: the real S3 client (a healthy run publishes nothing to SNS).
    fs.mkdirSync(path.join(fnDir, "node_modules", "@aws-sdk"), { recursive: true });
    fs.symlinkSync(
      path.join(REPO_ROOT, "node_modules", "@aws-sdk", "client-s3"),
      path.join(fnDir, "node_modules", "@aws-sdk", "client-s3"),
    );
    healthy = true;
    const env = (fnInputs.environment as { variables: Record<string, string> }).variables;
    const r = await runAsync(
      process.execPath,
      ["-e", "require('./index.js').handler().then(r => console.log('REPORT ' + r.ok))"],
      {
        cwd: fnDir,
        env: { ...MOTO_ENV, ...env },
      },
    );
    assert.strictEqual(r.code, 0, r.output);
    assert.match(r.stdout, /REPORT true/);
    const objects = Object.values(await moto.objects(BUCKET, "lambda/prod/")) as LedgerRecord[];
    assert.strictEqual(objects.length, 1, JSON.stringify(objects));
    assert.strictEqual(objects[0].kind, "monitor");
    assert.strictEqual((objects[0] as { ok: boolean }).ok, true);
  });
});
