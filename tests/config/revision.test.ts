/**
 * The fleet revision re-runs the gates exactly when something that is deployed changes.
 */
import * as assert from "assert";
import { fleetRevision } from "../../components/revision";
import { FleetConfig, fleetConfig } from "../../config/schema";

type Raw = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function fleet(patch: (f: Raw) => void = () => {}): FleetConfig {
  const raw = {
    name: "shop",
    environment: "local",
    services: [
      {
        name: "shop-api",
        type: "web",
        image: "ghcr.io/acme/api:1.4.2",
        healthCheckPath: "/health",
        env: { A: "1" },
        local: { command: ["node", "api.js"], port: 40001 },
      },
      {
        name: "shop-worker",
        type: "worker",
        image: "ghcr.io/acme/worker:1.0.0",
        local: { command: ["node", "w.js"], port: 40002 },
      },
    ],
    envSets: [{ name: "backend", services: ["shop-api", "shop-worker"], vars: { NODE_ENV: "production" } }],
  };
  patch(raw);
  return fleetConfig.parse(raw);
}

describe("fleet revision", () => {
  const base = fleetRevision(fleet());

  it("is stable for the same fleet, whatever the order of services and keys", () => {
    assert.strictEqual(fleetRevision(fleet()), base);
    assert.strictEqual(fleetRevision(fleet((f) => f.services.reverse())), base);
  });

  it("compares images normalized", () => {
    const a = fleetRevision(fleet((f) => (f.services[1].image = "nginx:1.27.0")));
    const b = fleetRevision(fleet((f) => (f.services[1].image = "docker.io/library/nginx:1.27.0")));
    assert.strictEqual(a, b);
  });

  for (const [what, patch] of [
    ["an image", (f: Raw) => (f.services[0].image = "ghcr.io/acme/api:1.4.3")],
    ["a fleet-wide env var", (f: Raw) => (f.envSets[0].vars.NODE_ENV = "staging")],
    ["a per-service env var", (f: Raw) => (f.services[0].env.A = "2")],
    ["a local command", (f: Raw) => (f.services[1].local.command = ["node", "w2.js"])],
    ["a docker command", (f: Raw) => (f.services[1].dockerCommand = "npm run worker")],
  ] as const) {
    it(`changes when ${what} changes`, () => assert.notStrictEqual(fleetRevision(fleet(patch)), base));
  }
});
