/**
 * The release section and the release input in the stack config: every rule names the field
 * and the fix, and nothing else of the config changes meaning.
 */
import * as assert from "assert";
import { validateStackConfig } from "../../config/load";

const DIGEST = `sha256:${"a".repeat(64)}`;

function config(extra: Record<string, unknown>) {
  return {
    platform: { kind: "local" },
    fleet: {
      name: "rel",
      environment: "dev",
      services: [
        {
          name: "api",
          type: "worker",
          image: "ghcr.io/acme/api:1.4.2",
          local: { command: ["node", "api.js"], port: 40001 },
        },
        {
          name: "web",
          type: "worker",
          image: "ghcr.io/acme/web:2.0.0",
          local: { command: ["node", "web.js"], port: 40002 },
        },
      ],
    },
    ...extra,
  };
}

function issues(extra: Record<string, unknown>): string[] {
  const r = validateStackConfig(config(extra), { secretKeys: new Set(["ghcrToken"]) });
  return r.ok ? [] : r.issues.map((i) => `${i.path}: ${i.message}`);
}

describe("release: stack config", () => {
  it("accepts a release input of digests for the release services", () => {
    assert.deepStrictEqual(
      issues({
        release: {
          services: ["web"],
          registries: [{ host: "ghcr.io", username: "ci", password: { secret: "ghcrToken" } }],
        },
        releaseImages: { web: `ghcr.io/acme/web@${DIGEST}` },
      }),
      [],
    );
  });

  it("refuses a release input that is a tag, another repository, or a service outside the release", () => {
    const found = issues({
      release: { services: ["web"] },
      releaseImages: { web: "ghcr.io/acme/web:2.0.1", api: `ghcr.io/acme/api@${DIGEST}` },
    });
    assert.deepStrictEqual(found, [
      'releaseImages.web: "ghcr.io/acme/web:2.0.1" is not a digest reference; the release hands over repo@sha256:<64 hex>',
      'releaseImages.api: service "api" does not take its image from the release; add it to release.services or drop it from the input',
    ]);
    assert.match(
      issues({ release: { services: ["web"] }, releaseImages: { web: `ghcr.io/evil/web@${DIGEST}` } })[0],
      /^releaseImages\.web: "ghcr\.io\/evil\/web@sha256:a+" is not from ghcr\.io\/acme\/web, the repository fleet\.services declares for "web"/,
    );
  });

  it("refuses a release input on a promoting stack, or without a release section", () => {
    assert.match(
      issues({
        release: { services: ["web"], promoteFrom: { stack: "acme/fleetgate/dev" } },
        releaseImages: { web: `ghcr.io/acme/web@${DIGEST}` },
      }).join("\n"),
      /releaseImages: this stack promotes from stack "acme\/fleetgate\/dev" and takes no release input; remove fleetgate:releaseImages/,
    );
    assert.deepStrictEqual(issues({ releaseImages: { web: `ghcr.io/acme/web@${DIGEST}` } }), [
      "releaseImages: the release input needs a release section; list the services it sets under release.services",
    ]);
  });

  it("refuses a promotion that lists no service", () => {
    assert.deepStrictEqual(issues({ release: { promoteFrom: { stack: "dev" } } }), [
      'release.services: release.promoteFrom takes images only for the services listed here; list the services to promote from "dev"',
    ]);
  });

  it("names unknown services, bad hosts and unset registry secrets", () => {
    const found = issues({
      release: {
        services: ["nope"],
        insecureRegistries: ["http://127.0.0.1:5000"],
        registries: [{ host: "ghcr.io", username: "ci", password: { secret: "missingToken" } }],
      },
    });
    assert.ok(
      found.some((f) => f.startsWith("release.insecureRegistries[0]: must be a registry host")),
      found.join("\n"),
    );
    const r = validateStackConfig(
      config({
        release: {
          services: ["nope"],
          registries: [{ host: "ghcr.io", username: "ci", password: { secret: "missingToken" } }],
        },
      }),
      { secretKeys: new Set() },
    );
    assert.ok(!r.ok);
    const messages = r.issues.map((i) => `${i.path}: ${i.message}`);
    assert.ok(
      messages.includes('release.services[0]: unknown service "nope"; declare it under fleet.services'),
      messages.join("\n"),
    );
    assert.ok(
      messages.some((m) =>
        m.startsWith(
          'release.registries[0].password: secret "missingToken" is not set; run: pulumi config set --secret fleetgate:missingToken',
        ),
      ),
      messages.join("\n"),
    );
  });
});
