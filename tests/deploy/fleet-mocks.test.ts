/**
 * The deploy features wired into the Fleet, under Pulumi mocks (the S3 copy needs the AWS
 * provider, which cannot run here): which resources a configured stack registers and with
 * what inputs, and the freeze stopping the program before the Fleet registers anything.
 * Self-contained: setMocks is process-global.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { Fleet } from "../../components/fleet";
import { SecretResolver } from "../../components/secrets";
import { validateStackConfig } from "../../config/load";
import type { StackConfig } from "../../config/schema";
import { appendRecord } from "../../lib/ledger/file";
import { FreezeError } from "../../lib/slo/freeze";
import { tempDir } from "../support/engine";

interface Registered {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
}
let registered: Registered[] = [];

async function settle(): Promise<void> {
  let last = -1;
  for (let i = 0; i < 100 && registered.length !== last; i++) {
    last = registered.length;
    await new Promise((r) => setTimeout(r, 30));
  }
}

const fakeSecrets: SecretResolver = {
  resolve: (ref) => pulumi.secret("secret" in ref ? `value-of-${ref.secret}` : `generated-${ref.generated}`),
  value: (v) => (typeof v === "string" ? pulumi.output(v) : fakeSecrets.resolve(v)),
};

function config(dir: string, gates: Record<string, unknown>, environment = "prod"): StackConfig {
  const raw = {
    platform: { kind: "render", ownerId: "tea-abc123" },
    fleet: {
      name: "refapp",
      environment,
      services: [
        {
          name: "api",
          type: "web",
          image: "ghcr.io/o/api:1.8.4",
          healthCheckPath: "/health",
          url: "https://api.example.com",
        },
        { name: "worker", type: "worker", image: "ghcr.io/o/worker:2.0.0" },
      ],
    },
    gates: {
      ledger: { path: path.join(dir, "ledger.jsonl"), s3: { bucket: "acme-evidence", region: "eu-west-1" } },
      ...gates,
    },
  };
  const r = validateStackConfig(raw, { secretKeys: new Set(["databaseUrl", "chatUrl"]) });
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.config;
}

describe("deploy features in the Fleet (mocks)", function () {
  this.timeout(30_000);
  let dir: string;

  before(() => {
    dir = tempDir("deploy-mocks");
    pulumi.runtime.setMocks(
      {
        newResource(args) {
          registered.push({ type: args.type, name: args.name, inputs: args.inputs });
          const state: Record<string, unknown> = { ...args.inputs };
          if (args.type === "pulumi-nodejs:dynamic/ledger:EvidenceRecord") {
            state.record = { time: "2026-11-25T10:00:00.000Z", revision: "rev9" };
            state.line = '{"kind":"deploy"}';
          }
          return { id: `${args.name}-id`, state };
        },
        call: (args) => args.inputs,
      },
      "fleetgate",
      "prod",
      false,
    );
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  beforeEach(() => (registered = []));

  it("registers backup and baseline before the deploy, watch and evidence after, and the S3 copy", async () => {
    new Fleet("refapp", {
      config: config(dir, {
        backup: {
          connection: { secret: "databaseUrl" },
          services: ["api"],
          directory: path.join(dir, "dumps"),
        },
        watch: { windowSeconds: 60, intervalSeconds: 5 },
        notifications: { webhooks: [{ name: "chat", url: { secret: "chatUrl" } }] },
      }),
      secrets: fakeSecrets,
    });
    await settle();
    const byType = (t: string) => registered.filter((r) => r.type === t);
    const backup = byType("pulumi-nodejs:dynamic/checks:Backup");
    assert.strictEqual(backup.length, 1);
    assert.strictEqual(backup[0].inputs.directory, path.join(dir, "dumps"));
    assert.strictEqual(backup[0].inputs.stack, "prod");
    const baseline = byType("pulumi-nodejs:dynamic/checks:WatchBaseline");
    assert.deepStrictEqual(baseline[0]?.inputs.targets, [
      { service: "api", url: "https://api.example.com/health" },
    ]);
    const watch = byType("pulumi-nodejs:dynamic/checks:PostDeployWatch");
    assert.strictEqual(watch.length, 1);
    assert.strictEqual(watch[0].inputs.windowSeconds, 60);
    const evidence = byType("pulumi-nodejs:dynamic/ledger:EvidenceRecord");
    assert.strictEqual(evidence.length, 1);
    assert.strictEqual((evidence[0].inputs.ledger as { file: string }).file, path.join(dir, "ledger.jsonl"));
    assert.deepStrictEqual((evidence[0].inputs.ledger as { images: unknown }).images, {
      api: "ghcr.io/o/api:1.8.4",
      worker: "ghcr.io/o/worker:2.0.0",
    });
    // The record goes to the bucket through the ledger (lib/ledger/s3.ts), one object per record.
    assert.deepStrictEqual((evidence[0].inputs.ledger as { s3: unknown }).s3, {
      bucket: "acme-evidence",
      prefix: "fleetgate/ledger/",
      region: "eu-west-1",
    });
    assert.strictEqual(byType("aws:s3/bucketObjectv2:BucketObjectv2").length, 0);
  });

  it("registers none of them when the stack does not configure them", async () => {
    const raw = config(dir, {});
    raw.gates.ledger = undefined;
    new Fleet("refapp", { config: raw, secrets: fakeSecrets });
    await settle();
    const mine = registered.filter((r) =>
      /dynamic\/(checks:(Backup|WatchBaseline|PostDeployWatch)|ledger:)|s3\/bucketObject/.test(r.type),
    );
    assert.deepStrictEqual(mine, []);
  });

  it("stops the program with the freeze before the Fleet registers anything", async () => {
    for (let i = 0; i < 20; i++) {
      appendRecord(path.join(dir, "ledger.jsonl"), {
        kind: "monitor",
        time: new Date(Date.now() - (i + 1) * 60_000).toISOString(),
        stack: "prod",
        environment: "prod",
        fleet: "refapp",
        checks: [],
        ok: i > 5,
      });
    }
    // The file ledger (with gates.ledger.s3 the freeze reads the bucket: tests/evidence).
    const cfg = config(dir, { errorBudget: {} });
    delete cfg.gates.ledger!.s3;
    assert.throws(
      () => new Fleet("refapp", { config: cfg, secrets: fakeSecrets }),
      (err: Error) => {
        assert.ok(err instanceof FreezeError);
        assert.match(
          err.message,
          /error-budget freeze on prod: availability over the last 30 days is 70 % \(6 of 20 monitor runs failed\)/,
        );
        assert.match(err.message, /api: \(not deployed\) -> ghcr.io\/o\/api:1.8.4/);
        return true;
      },
    );
    await settle();
    assert.deepStrictEqual(registered, []);
  });
});
