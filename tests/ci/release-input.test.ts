/**
 * The hand-over of a build to `pulumi up`, as generated: the deploy job's "Set the release
 * input" script, run with bash against a recording `pulumi` on PATH, and the release-dispatch
 * contract (environment fixed by the config, never by the payload).
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { renderWorkflowFiles } from "../../components/ci/workflows";
import { tempDir } from "../support/engine";
import { fullCiConfig, oidcCiConfig } from "./support";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Yaml = any;

const DIGEST = `sha256:${"d".repeat(64)}`;

function upJob(env: string): Yaml {
  const files = renderWorkflowFiles(fullCiConfig(), "test");
  return parse(files[".github/workflows/pulumi-up.yml"]).jobs[`up-${env}`];
}

describe("ci: the release input hand-over", () => {
  let dir: string;
  let pulumiLog: string;
  before(() => {
    dir = tempDir("release-input");
    pulumiLog = path.join(dir, "pulumi-args");
    fs.mkdirSync(path.join(dir, "bin"));
    fs.writeFileSync(path.join(dir, "bin", "pulumi"), `#!/bin/sh\nprintf '%s\\n' "$@" > "${pulumiLog}"\n`, {
      mode: 0o755,
    });
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** Runs the generated step's script with its env (secrets and inputs given as values). */
  function runStep(env: string, releaseImages: string): { code: number; output: string; args?: string[] } {
    fs.rmSync(pulumiLog, { force: true });
    const step = upJob(env).steps.find((s: Yaml) => s.name.startsWith("Set the release input"));
    const stepEnv: Record<string, string> = {};
    for (const [k, v] of Object.entries<string>(step.env)) stepEnv[k] = v.includes("${{") ? "x" : v;
    stepEnv.RELEASE_IMAGES = releaseImages;
    const r = spawnSync("bash", ["-e", "-c", step.run], {
      cwd: dir,
      env: { PATH: `${path.join(dir, "bin")}:${process.env.PATH}`, ...stepEnv },
      encoding: "utf8",
    });
    const args = fs.existsSync(pulumiLog) ? fs.readFileSync(pulumiLog, "utf8").trim().split("\n") : undefined;
    return { code: r.status ?? 1, output: `${r.stdout}${r.stderr}`, args };
  }

  it("sets a well-formed input as the stack's fleetgate:releaseImages", () => {
    const images = JSON.stringify({ api: `ghcr.io/acme/api@${DIGEST}` });
    const r = runStep("dev", images);
    assert.strictEqual(r.code, 0, r.output);
    assert.deepStrictEqual(r.args, ["config", "set", "--stack", "dev", "fleetgate:releaseImages", images]);
  });

  it("does nothing without an input", () => {
    const r = runStep("dev", "{}");
    assert.strictEqual(r.code, 0, r.output);
    assert.strictEqual(r.args, undefined);
  });

  it("refuses a tag, a bad service name or a non-object before pulumi runs", () => {
    for (const bad of [
      JSON.stringify({ api: "ghcr.io/acme/api:1.4.2" }),
      JSON.stringify({ "Bad Name": `ghcr.io/acme/api@${DIGEST}` }),
      "null",
      '["x"]',
    ]) {
      const r = runStep("dev", bad);
      assert.notStrictEqual(r.code, 0, `${bad} was accepted`);
      assert.strictEqual(r.args, undefined, `${bad} reached pulumi`);
    }
  });

  it("refuses an input for an environment that promotes", () => {
    const r = runStep("prod", JSON.stringify({ api: `ghcr.io/acme/api@${DIGEST}` }));
    assert.notStrictEqual(r.code, 0);
    assert.match(r.output, /environment prod does not take a build/);
    assert.strictEqual(r.args, undefined);
  });

  it("release-dispatch.yml deploys the payload's images to the configured environment only", () => {
    const files = renderWorkflowFiles(oidcCiConfig(), "test");
    const wf = parse(files[".github/workflows/release-dispatch.yml"]);
    assert.deepStrictEqual(wf.on, { repository_dispatch: { types: ["fleetgate-release"] } });
    assert.deepStrictEqual(wf.jobs.deploy.with, {
      environment: "dev",
      "release-images": "${{ toJSON(github.event.client_payload.images) }}",
    });
    assert.strictEqual(wf.jobs.deploy.uses, "./.github/workflows/pulumi-up.yml");
    assert.deepStrictEqual(wf.jobs.deploy.permissions, { contents: "read", "id-token": "write" });
    assert.ok(!("release-dispatch.yml" in renderWorkflowFiles(fullCiConfig(), "test")));
  });
});
