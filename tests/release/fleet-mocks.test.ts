/**
 * The release wiring of the Fleet under Pulumi mocks: `@pulumi/docker`'s getRegistryImage as the
 * tag resolver (an invoke that needs the docker plugin, so it is mocked here; the registry
 * client is the one the engine tests drive against a real registry), the digest kept by a
 * TagDigest resource, the release input, and the platform receiving `repo@sha256:…`.
 * setMocks is process-global: this file sets it in before() and is self-contained.
 */
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import type { Fleet as FleetType } from "../../components/fleet";
import { declaredDeployKey } from "../../components/gates";
import type { SecretResolver } from "../../components/secrets";
import { parseStackConfig } from "../../config/load";
import type { StackConfig } from "../../config/schema";
import { buildFleetUnderMocks } from "../support/mocks";

interface Registered {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
}

const API_DIGEST = `sha256:${"1".repeat(64)}`;
const WEB_DIGEST = `sha256:${"2".repeat(64)}`;

describe("release: Fleet wiring (mocks)", () => {
  const registered: Registered[] = [];
  const invokes: { token: string; args: Record<string, unknown> }[] = [];
  let fleet: FleetType;
  let config: StackConfig;

  before(async () => {
    pulumi.runtime.setMocks(
      {
        newResource: (args) => {
          registered.push({ type: args.type, name: args.name, inputs: args.inputs });
          const state: Record<string, unknown> = { ...args.inputs };
          if (args.type.endsWith("local:Service")) {
            state.url = `http://127.0.0.1:${args.inputs.port}`;
            state.deployId = 1;
          }
          return { id: `${args.name}-id`, state };
        },
        call: (args) => {
          invokes.push({ token: args.token, args: args.inputs });
          if (args.token === "docker:index/getRegistryImage:getRegistryImage") {
            return { name: args.inputs.name, sha256Digest: API_DIGEST };
          }
          return {};
        },
      },
      "fleetgate",
      "dev",
      false,
    );
    const { Fleet } = require("../../components/fleet") as typeof import("../../components/fleet");
    config = parseStackConfig(
      {
        platform: { kind: "local", stateDir: "/tmp/fleetgate-release-mocks" },
        fleet: {
          name: "rel",
          environment: "dev",
          services: [
            {
              name: "api",
              type: "worker",
              image: "ghcr.io/acme/api:1.4.2",
              local: { command: ["node", "api.js"], port: 41101 },
            },
            {
              name: "web",
              type: "worker",
              image: "ghcr.io/acme/web:2.0.0",
              local: { command: ["node", "web.js"], port: 41102 },
            },
          ],
        },
        release: { services: ["web"], resolver: "docker-provider" },
        releaseImages: { web: `ghcr.io/acme/web@${WEB_DIGEST}` },
        gates: {
          integrity: { engine: "duckdb", connection: "/tmp/fleetgate-release-mocks/app.duckdb" },
          notifications: { webhooks: [{ name: "chat", url: "http://127.0.0.1:9/hook", on: ["start"] }] },
        },
      },
      { secretKeys: new Set() },
    );
    fleet = await buildFleetUnderMocks(Fleet, config, () => registered.length, "release");
  });

  it("resolves the pinned tag with docker.getRegistryImage and keeps it in a TagDigest", () => {
    assert.deepStrictEqual(
      invokes.filter((i) => i.token.startsWith("docker:")).map((i) => i.args.name),
      ["ghcr.io/acme/api:1.4.2"],
    );
    const pin = registered.find((r) => r.type === "pulumi-nodejs:dynamic/release:TagDigest")!;
    assert.strictEqual(pin.inputs.reference, "ghcr.io/acme/api:1.4.2");
    assert.strictEqual(pin.inputs.observed, `ghcr.io/acme/api@${API_DIGEST}`);
  });

  it("deploys the resolved digest and the release input's digest on the platform", () => {
    const image = (name: string) =>
      registered.find((r) => r.type === "pulumi-nodejs:dynamic/local:Service" && r.inputs.name === name)!
        .inputs.image;
    assert.strictEqual(image("api"), `ghcr.io/acme/api@${API_DIGEST}`);
    assert.strictEqual(image("web"), `ghcr.io/acme/web@${WEB_DIGEST}`);
  });

  it("announces, snapshots and records the digests deployed, not the declared tags", async () => {
    const digests = { api: `ghcr.io/acme/api@${API_DIGEST}`, web: `ghcr.io/acme/web@${WEB_DIGEST}` };
    const inputsOf = (type: string) => registered.find((r) => r.type === type)!.inputs;
    assert.deepStrictEqual(inputsOf("pulumi-nodejs:dynamic/notify:DeployAnnouncement").images, digests);
    const ledger = inputsOf("pulumi-nodejs:dynamic/ledger:EvidenceRecord").ledger as { images: unknown };
    assert.deepStrictEqual(ledger.images, digests);
    // The snapshot's deploy key is the one of the digests (a new digest retakes the snapshot).
    const plain: SecretResolver = {
      resolve: () => pulumi.output(""),
      value: (v) => pulumi.output(typeof v === "string" ? v : ""),
    };
    const keyOf = (images: Record<string, string>) =>
      new Promise((r) => declaredDeployKey(config, plain, images).apply(r));
    const key = (inputsOf("pulumi-nodejs:dynamic/checks:IntegritySnapshot").deployKey as { value: string })
      .value;
    assert.strictEqual(key, await keyOf(digests));
    assert.notStrictEqual(key, await keyOf({}));
  });

  it("names each image's source and releases both digests", async () => {
    assert.deepStrictEqual(fleet.release!.sources, {
      api: "tag:ghcr.io/acme/api:1.4.2",
      web: "release-input",
    });
    const released = await new Promise((r) => fleet.releasedImages.apply(r));
    assert.deepStrictEqual(released, {
      api: `ghcr.io/acme/api@${API_DIGEST}`,
      web: `ghcr.io/acme/web@${WEB_DIGEST}`,
    });
  });
});
