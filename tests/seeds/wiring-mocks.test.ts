/**
 * The wiring helpers of components/seedGates.ts under Pulumi mocks: the restore drill and the
 * announcement register from the stack config (secrets kept secret, off unless declared), and
 * log/liveness checks get the source of their platform.
 */
import * as assert from "assert";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { parseStackConfig } from "../../config/load";
import type { StackConfig } from "../../config/schema";
import { MOCK_SECRETS } from "../support/mocks";

type Registered = { type: string; name: string; inputs: Record<string, unknown> };
const registered: Registered[] = [];

pulumi.runtime.setMocks(
  {
    newResource: (args) => {
      registered.push({ type: args.type, name: args.name, inputs: args.inputs });
      return { id: `${args.name}-id`, state: { ...args.inputs, path: "/backups/app.dump" } };
    },
    call: (args) => args.inputs,
  },
  "seeds",
  "test",
  false,
);

// Loaded after the mocks are set.
const seed = require("../../components/seedGates") as typeof import("../../components/seedGates");
const { Backup } = require("../../providers/backup/backup") as typeof import("../../providers/backup/backup");

function config(
  gates: Record<string, unknown>,
  platform: Record<string, unknown> = { kind: "local" },
): StackConfig {
  return parseStackConfig(
    {
      platform,
      fleet: {
        name: "seeds",
        environment: "dev",
        services: [
          {
            name: "worker",
            type: "worker",
            image: "ghcr.io/acme/worker:1.0.0",
            local: { command: ["node", "worker.js"], port: 4100 },
          },
        ],
      },
      gates,
    },
    { secretKeys: new Set(["databaseUrl", "chatHook"]) },
  );
}

const settle = () => new Promise((r) => setTimeout(r, 300));

describe("seed wiring (mocks)", function () {
  this.timeout(30_000);
  const parent = new pulumi.ComponentResource("test:index:Parent", "parent");

  it("builds the restore drill after the backup, from backup, integrity and drill settings", async () => {
    const cfg = config({
      integrity: { engine: "postgres", connection: { secret: "databaseUrl" }, criticalTables: ["jobs"] },
      backup: { restoreDrill: { rowTolerancePercent: 1 } },
    });
    const backup = new Backup(
      "backup",
      {
        engine: "postgres",
        connection: "postgres://x@127.0.0.1/app",
        directory: "/backups",
        stack: "test",
        revision: "r1",
        timeoutSeconds: 60,
        keep: 3,
      },
      { parent },
    );
    const drill = seed.buildRestoreDrill(parent, { config: cfg, secrets: MOCK_SECRETS, backup });
    assert.ok(drill);
    await settle();
    const reg = registered.find((r) => r.name === "restore-drill")!;
    assert.strictEqual(reg.type, "pulumi-nodejs:dynamic/checks:RestoreDrill");
    assert.deepStrictEqual(reg.inputs.criticalTables, ["jobs"]);
    assert.strictEqual(reg.inputs.rowTolerancePercent, 1);
    assert.strictEqual(reg.inputs.dumpPath, "/backups/app.dump");
    const off = config({
      integrity: { engine: "postgres", connection: { secret: "databaseUrl" } },
      backup: { restoreDrill: { onDeploy: false } },
    });
    assert.strictEqual(
      seed.buildRestoreDrill(parent, { config: off, secrets: MOCK_SECRETS, backup }),
      undefined,
    );
  });

  it("announces only to the webhooks that listen for start, and only when one does", async () => {
    const cfg = config({
      notifications: {
        webhooks: [
          { name: "deploys", url: { secret: "chatHook" }, on: ["start", "success"] },
          { name: "incidents", url: { secret: "chatHook" }, on: ["failure"] },
        ],
      },
    });
    assert.ok(
      seed.buildAnnouncement(parent, { config: cfg, secrets: MOCK_SECRETS, stack: "test", revision: "r9" }),
    );
    await settle();
    const reg = registered.find((r) => r.name === "deploy-announcement")!;
    assert.strictEqual(reg.type, "pulumi-nodejs:dynamic/notify:DeployAnnouncement");
    assert.strictEqual(reg.inputs.revision, "r9");
    assert.deepStrictEqual(reg.inputs.images, { worker: "ghcr.io/acme/worker:1.0.0" });
    const none = config({ notifications: { webhooks: [{ name: "chat", url: { secret: "chatHook" } }] } });
    assert.strictEqual(
      seed.buildAnnouncement(parent, { config: none, secrets: MOCK_SECRETS, stack: "t", revision: "r" }),
      undefined,
    );
  });

  it("gives log and liveness checks their platform's source; other kinds need a URL", () => {
    const local = config({
      smoke: {
        checks: [
          { name: "worker-log", kind: "log", target: "worker", absent: ["panic:"] },
          { name: "worker-alive", kind: "liveness", target: "worker" },
        ],
      },
    });
    const [logCheck, alive] = local.gates.smoke!.checks;
    const args = { config: local, serviceId: "worker", localStateDir: "/state", projectDir: "/proj" };
    assert.deepStrictEqual(seed.checkSourceFields(logCheck, args), {
      logSource: { kind: "file", path: path.join("/state", "logs", "worker.log") },
    });
    assert.deepStrictEqual(seed.checkSourceFields(alive, args), {
      livenessSource: { kind: "local", stateDir: "/state", service: "worker" },
    });
    assert.strictEqual(seed.checkNeedsUrl(logCheck), false);
    const render = config(
      { smoke: { checks: [{ name: "worker-log", kind: "log", target: "worker", absent: ["panic:"] }] } },
      { kind: "render", ownerId: "tea-seeds" },
    );
    assert.deepStrictEqual(
      seed.checkSourceFields(render.gates.smoke!.checks[0], { ...args, config: render, serviceId: "srv-1" }),
      {
        logSource: {
          kind: "render",
          baseUrl: "https://api.render.com/v1",
          ownerId: "tea-seeds",
          resourceId: "srv-1",
        },
      },
    );
  });
});
