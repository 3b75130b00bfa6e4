/**
 * Registers what a fleetgate config can never produce (its validator refuses both), so the
 * pack's own rules for them run through the engine: an image pulled by `latest`, a workflow file whose step uses an action
 * by tag, and a public web service without a health check path. Used by engine-variants.test.ts.
 */
import * as docker from "@pulumi/docker";
import * as github from "@pulumi/github";
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

registerService("web", { name: "web", serviceType: "web", public: true, image: "ghcr.io/acme/web:1.0.0" });
