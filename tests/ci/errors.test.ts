/**
 * Bad pipeline config fails with an error that names the field and the fix: unknown job
 * dependency, a cycle, an unpinned action, an expression in a script; and the model's own
 * validation refuses the same mistakes when a workflow is built by hand.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { PINNED_ACTIONS } from "../../components/ci/actions";
import { emitWorkflow } from "../../components/ci/emit";
import { PipelineError, StepsJob, Workflow } from "../../components/ci/model";
import { ciConfig } from "../../config/ci";
import { validateStackConfig } from "../../config/load";
import { parseArgs, writeWorkflows } from "../../scripts/write-workflows";
import { renderWorkflowFiles } from "../../components/ci/workflows";
import { REPO_ROOT, tempDir } from "../support/engine";
import { referencedSecrets, stackConfigOf } from "./support";

const BASE = {
  repository: "acme/refapp",
  environments: [{ name: "dev" }],
  // A shared state backend is required (config/ci.ts); the fixtures below differ elsewhere.
  variables: [{ name: "PULUMI_BACKEND_URL", value: "s3://acme-state" }],
  // dev's smoke checks send its generated API key: the health-monitor workflow gets it from here.
  secrets: [
    {
      name: "FLEETGATE_GENERATED_SMOKE_API_KEY",
      value: { generated: "smoke-api-key" },
      scope: "read",
    },
  ],
};

/** Issues of a ci section validated inside a whole stack config, as `path: message` lines. */
function issuesOf(ci: Record<string, unknown>): string[] {
  const { ci: _drop, ...rest } = stackConfigOf("dev");
  const raw = JSON.parse(JSON.stringify(rest));
  const result = validateStackConfig(
    { ...raw, ci: { ...BASE, ...ci } },
    {
      secretKeys: referencedSecrets(raw),
    },
  );
  assert.ok(!result.ok, "expected the config to be refused");
  return result.issues.map((i) => `${i.path}: ${i.message}`);
}

function job(id: string, needs: string[], step: Record<string, unknown> = { name: "x", run: "true" }) {
  return { id, needs, steps: [step] };
}

describe("ci: pipeline config errors", () => {
  it("accepts a valid section (the fixtures below differ from it in one field)", () => {
    assert.doesNotThrow(() => ciConfig.parse({ ...BASE, jobs: [job("a", ["build"]), job("b", ["a"])] }));
  });

  it("names an unknown job dependency and lists the known ones", () => {
    const issues = issuesOf({ jobs: [job("migrations", ["buidl"])] });
    assert.deepStrictEqual(issues, [
      'ci.jobs[0].needs[0]: unknown job "buidl"; known jobs: lint, test, build, e2e, migrations',
    ]);
  });

  it("refuses an extra job that waits for a deploy", () => {
    const issues = issuesOf({ jobs: [job("after", ["deploy-dev"])] });
    assert.deepStrictEqual(issues, [
      'ci.jobs[0].needs[0]: unknown job "deploy-dev"; extra jobs are gates and run before every deploy',
    ]);
  });

  it("names a dependency cycle", () => {
    const issues = issuesOf({ jobs: [job("a", ["c"]), job("b", ["a"]), job("c", ["b"])] });
    assert.deepStrictEqual(issues, [
      "ci.jobs[0].needs: jobs depend on each other in a cycle (a -> c -> b -> a); remove one of these needs",
    ]);
  });

  it("refuses an action pinned to a tag or branch", () => {
    const issues = issuesOf({
      jobs: [job("scan", [], { name: "scan", uses: "aquasecurity/trivy-action@v0.28.0" })],
    });
    assert.strictEqual(issues.length, 1, issues.join("\n"));
    assert.match(issues[0], /^ci\.jobs\[0\]\.steps\[0\]/);
    assert.match(issues[0], /"aquasecurity\/trivy-action@v0\.28\.0" is not pinned to a full commit SHA/);
    assert.match(issues[0], /one of the pinned actions: checkout, setup-node/);
  });

  it("refuses an abbreviated SHA", () => {
    const issues = issuesOf({ jobs: [job("scan", [], { name: "scan", uses: "acme/scan@0123abc" })] });
    assert.match(issues.join("\n"), /"acme\/scan@0123abc" is not pinned to a full commit SHA/);
  });

  it("refuses ${{ }} in an extra job's script", () => {
    const issues = issuesOf({
      jobs: [job("echo", [], { name: "echo", run: "echo ${{ github.event.pull_request.title }}" })],
    });
    assert.strictEqual(issues.length, 1, issues.join("\n"));
    assert.match(issues[0], /ci\.jobs\[0\]\.steps\[0\].*pass values through env/);
  });

  it("refuses reserved job ids, duplicate environments and secrets, GITHUB_ names", () => {
    const issues = issuesOf({
      environments: [{ name: "dev" }, { name: "dev" }],
      jobs: [job("build", [])],
      secrets: [{ name: "GITHUB_PAT", value: { secret: "renderApiKey" } }],
    });
    const text = issues.join("\n");
    assert.match(text, /ci\.environments\[1\]\.name: environment "dev" is listed twice/);
    assert.match(text, /ci\.jobs\[0\]\.id: job id "build" is reserved/);
    assert.match(text, /ci\.secrets\[0\]\.name: must not start with GITHUB_/);
  });

  it("refuses a generated check secret the health-monitor workflow cannot receive, naming the fix", () => {
    const entry = BASE.secrets[0];
    assert.deepStrictEqual(issuesOf({ secrets: [] }), [
      'ci.secrets: the smoke checks send the generated secret "smoke-api-key", which the health-monitor workflow can only get from a GitHub secret; add { name: FLEETGATE_GENERATED_SMOKE_API_KEY, value: { generated: smoke-api-key }, scope: read }',
    ]);
    assert.deepStrictEqual(issuesOf({ secrets: [{ ...entry, scope: "environment" }] }), [
      "ci.secrets[0].scope: FLEETGATE_GENERATED_SMOKE_API_KEY must reach the health-monitor workflow (GitHub environment <env>-read); set scope: read",
    ]);
    assert.deepStrictEqual(issuesOf({ secrets: [{ ...entry, value: { generated: "other-key" } }] }), [
      'ci.secrets[0].value: FLEETGATE_GENERATED_SMOKE_API_KEY is what scripts/run-checks.ts reads for the generated secret "smoke-api-key"; set value: { generated: smoke-api-key }',
    ]);
  });

  it("refuses a ci secret whose stack secret is not set", () => {
    const { ci: _drop, ...rest } = stackConfigOf("dev");
    const result = validateStackConfig(
      {
        ...JSON.parse(JSON.stringify(rest)),
        ci: { ...BASE, secrets: [{ name: "TOKEN", value: { secret: "nope" } }] },
      },
      { secretKeys: referencedSecrets(rest) },
    );
    assert.ok(!result.ok);
    assert.ok(
      result.issues.some((i) => i.path === "ci.secrets[0].value" && /fleetgate:nope/.test(i.message)),
      JSON.stringify(result.issues),
    );
  });

  describe("the workflow model", () => {
    const checkout = PINNED_ACTIONS.checkout;
    function wf(jobs: Workflow["jobs"]): Workflow {
      return { file: "x.yml", name: "x", on: { push: {} }, permissions: {}, jobs };
    }
    const job = (needs: string[]): StepsJob => ({
      name: "j",
      needs,
      runsOn: "ubuntu-24.04",
      permissions: {},
      timeoutMinutes: 5,
      steps: [{ name: "s", run: "true" }],
    });

    it("refuses an unknown need and a cycle", () => {
      assert.throws(
        () => emitWorkflow(wf({ a: job(["b"]), c: job(["d"]), d: job(["c"]) }), "h"),
        (e: unknown) =>
          e instanceof PipelineError &&
          /job "a" needs unknown job "b"; known jobs: a, c, d/.test(e.message) &&
          /cycle: c -> d -> c/.test(e.message),
      );
    });

    it("refuses a uses: whose SHA is not 40 hex and a ${{ }} in a script", () => {
      const bad = wf({
        a: {
          name: "a",
          runsOn: "ubuntu-24.04",
          permissions: {},
          timeoutMinutes: 5,
          steps: [
            { name: "co", uses: { ...checkout, sha: "v7" } },
            { name: "echo", run: "echo ${{ github.head_ref }}" },
          ],
        },
      });
      assert.throws(
        () => emitWorkflow(bad, "h"),
        (e: unknown) =>
          e instanceof PipelineError &&
          /step 1 \("co"\) uses actions\/checkout@v7, which is not a full commit SHA; pin it to the 40-hex commit of v7.0.1/.test(
            e.message,
          ) &&
          /step 2 \("echo"\) has a \$\{\{ \}\} expression in its script/.test(e.message),
      );
    });
  });

  describe("the pinned-actions table", () => {
    it("holds one full SHA per action", () => {
      const rows = Object.values(PINNED_ACTIONS);
      for (const row of rows) {
        assert.match(row.sha, /^[0-9a-f]{40}$/, row.repo);
        assert.match(row.version, /^v\d+\.\d+\.\d+$/, row.repo);
      }
      assert.strictEqual(new Set(rows.map((r) => r.sha)).size, rows.length);
    });
  });

  describe("scripts/write-workflows.ts", () => {
    it("writes the stack's workflows to a directory, identical to the component's", () => {
      const dir = tempDir("ci-write");
      try {
        const written = writeWorkflows("dev", dir);
        assert.strictEqual(written.length, 4);
        const expected = renderWorkflowFiles(stackConfigOf("dev").ci!, "Pulumi.dev.yaml");
        for (const [rel, text] of Object.entries(expected)) {
          assert.strictEqual(fs.readFileSync(path.join(dir, rel), "utf8"), text, rel);
        }
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    it("runs from the command line as the README says", function () {
      this.timeout(60_000);
      const dir = tempDir("ci-cli");
      const run = (args: string[]) =>
        spawnSync(
          path.join(REPO_ROOT, "node_modules", ".bin", "ts-node"),
          ["--transpile-only", "scripts/write-workflows.ts", ...args],
          {
            cwd: REPO_ROOT,
            encoding: "utf8",
          },
        );
      try {
        const ok = run(["--stack", "prod", "--out", dir]);
        assert.strictEqual(ok.status, 0, ok.stderr);
        assert.match(ok.stdout, /wrote .*\.github\/workflows\/pulumi-up\.yml/);
        assert.match(
          fs.readFileSync(path.join(dir, ".github/workflows/ci.yml"), "utf8"),
          /Pulumi\.prod\.yaml/,
        );
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    it("explains bad arguments with the usage line", () => {
      for (const argv of [
        [],
        ["--stack", "prod"],
        ["--stack", "prod", "--out"],
        ["--stak", "prod", "--out", "x"],
      ]) {
        assert.throws(
          () => parseArgs(argv),
          /usage: npx ts-node scripts\/write-workflows\.ts --stack <name> --out <dir>/,
        );
      }
      assert.deepStrictEqual(parseArgs(["--out", "x", "--stack", "prod"]), { stack: "prod", out: "x" });
    });

    it("names a missing stack file and a stack without a ci section", () => {
      assert.throws(
        () => writeWorkflows("nosuchstack", "/tmp/unused"),
        /Pulumi\.nosuchstack\.yaml does not exist; check --stack/,
      );
      const project = tempDir("ci-nocfg");
      try {
        const raw = fs.readFileSync(path.join(__dirname, "..", "..", "Pulumi.dev.yaml"), "utf8");
        fs.writeFileSync(
          path.join(project, "Pulumi.bare.yaml"),
          raw.slice(0, raw.indexOf("  # CI (docs/ci.md)")),
        );
        assert.throws(() => writeWorkflows("bare", project, project), /has no fleetgate:ci section/);
      } finally {
        fs.rmSync(project, { recursive: true, force: true });
      }
    });
  });
});
