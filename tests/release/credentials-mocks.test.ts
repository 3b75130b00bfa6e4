/**
 * Registry credentials from secret config, end to end in the program (under Pulumi mocks): the
 * Fleet resolves a private tag through the token flow with the password of `release.registries`
 * (a stack secret), against a real registry on loopback behind a token-auth front, and the
 * digest the platform receives is not marked secret (so `preview` can show it).
 * setMocks is process-global: this file sets it in before() and is self-contained.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as pulumi from "@pulumi/pulumi";
import { parseStackConfig } from "../../config/load";
import { tempDir } from "../support/engine";
import { buildFleetUnderMocks } from "../support/mocks";
import { pushBuild, startRegistry, TestRegistry, tokenFront } from "./support";

interface Registered {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
}

describe("release: registry credentials from secret config (mocks, real registry)", function () {
  this.timeout(120_000);
  const registered: Registered[] = [];
  let dir: string;
  let registry: TestRegistry;
  let front: Awaited<ReturnType<typeof tokenFront>>;
  let pushed: string;

  before(async () => {
    dir = tempDir("release-creds");
    registry = await startRegistry(dir);
    pushed = pushBuild(dir, `${registry.host}/acme/private:3.1.0`, "private build");
    // The mocks' secret resolver (tests/support/mocks.ts) gives every secret "mock-secret-value";
    // the front refuses a token to any other password.
    front = await tokenFront(registry.host, "ci-bot", "mock-secret-value");
    pulumi.runtime.setMocks(
      {
        newResource: (args) => {
          registered.push({ type: args.type, name: args.name, inputs: args.inputs });
          const state: Record<string, unknown> = { ...args.inputs };
          if (args.type.endsWith("local:Service")) state.url = `http://127.0.0.1:${args.inputs.port}`;
          return { id: `${args.name}-id`, state };
        },
        call: () => ({}),
      },
      "fleetgate",
      "dev",
      false,
    );
    const { Fleet } = require("../../components/fleet") as typeof import("../../components/fleet");
    const config = parseStackConfig(
      {
        platform: { kind: "local", stateDir: "/tmp/fleetgate-release-creds-mocks" },
        fleet: {
          name: "creds",
          environment: "dev",
          services: [
            {
              name: "private",
              type: "worker",
              image: `${front.host}/acme/private:3.1.0`,
              local: { command: ["node", "p.js"], port: 41201 },
            },
          ],
        },
        release: {
          insecureRegistries: [front.host],
          registries: [{ host: front.host, username: "ci-bot", password: { secret: "registryToken" } }],
        },
      },
      { secretKeys: new Set(["registryToken"]) },
    );
    await buildFleetUnderMocks(Fleet, config, () => registered.length, "credentials");
  });

  after(async () => {
    front?.close();
    await registry?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("fetches a token with the secret password and deploys the digest, not marked secret", () => {
    assert.ok(front.tokenRequests.length > 0, "the token service was asked");
    const svc = registered.find((r) => r.type === "pulumi-nodejs:dynamic/local:Service")!;
    // A plain string: a secret would arrive as the mocks' { 4dabf18193072939515e22adb298388d: … } wrapper.
    assert.strictEqual(svc.inputs.image, `${front.host}/acme/private@${pushed}`);
    const pin = registered.find((r) => r.type === "pulumi-nodejs:dynamic/release:TagDigest")!;
    assert.strictEqual(pin.inputs.observed, `${front.host}/acme/private@${pushed}`);
  });
});
