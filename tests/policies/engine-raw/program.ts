/**
 * Registers what a fleetgate config can never produce (its validator refuses them), so the
 * pack's own rules for them run through the engine: an image pulled by `latest`, a workflow file
 * whose step uses an action by tag, a public web service without a health check path, a
 * worker marked stateful without a disk, and a secret-looking env var with a plain value. Used by engine-variants.test.ts.
 */
import * as docker from "@pulumi/docker";
import * as github from "@pulumi/github";
import { EnvVars } from "../../../provider/sdk/envVars";
import { registerService } from "../../stacks-engine/types";

new docker.RemoteImage("edge-proxy", { name: "nginx:latest" });

new github.RepositoryFile("ci-workflow", {
  repository: "acme/app",
  file: ".github/workflows/ci.yml",
  content: [
    "name: ci",
    "on: push",
    "jobs:",
    "  test:",
    "    runs-on: ubuntu-24.04",
    "    steps:",
    "      - uses: actions/checkout@v4",
    "      - run: npm test",
    "",
  ].join("\n"),
});

// Never created: preview only (the Render API below is not reachable and is never called).
const baseUrl = "http://127.0.0.1:9/v1";
const web = registerService("web", {
  name: "web",
  serviceType: "web",
  public: true,
  image: "ghcr.io/acme/web:1.0.0",
  region: "oregon",
  instances: 1,
  ownerId: "tea-raw",
  baseUrl,
});

registerService("search", {
  name: "search",
  serviceType: "worker",
  image: "ghcr.io/acme/search:1.0.0",
  region: "oregon",
  instances: 1,
  ownerId: "tea-raw",
  baseUrl,
  stateful: true,
});

new EnvVars(
  "web-env",
  {
    serviceId: "srv-raw",
    serviceName: "web",
    vars: { STRIPE_API_KEY: "sk_test_plain_in_config" },
    plainKeys: ["STRIPE_API_KEY"],
    environment: "prod",
    baseUrl,
  },
  { dependsOn: [web] },
);
