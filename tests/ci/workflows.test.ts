/**
 * The generated workflows: actionlint and zizmor clean, every action pinned to a full SHA from
 * the one table, the pipeline's order (gates before images before deploys, promotion in order)
 * and the security rules (minimal permissions, secrets only via secrets.*, no expressions in scripts).
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { PINNED_ACTIONS } from "../../components/ci/actions";
import { renderWorkflowFiles, requiredChecks } from "../../components/ci/workflows";
import { CiConfig } from "../../config/ci";
import { tempDir } from "../support/engine";
import { fullCiConfig, lint, oidcCiConfig, stackConfigOf, writeTree } from "./support";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Yaml = any;

function workflows(ci: CiConfig): Record<string, Yaml> {
  const files = renderWorkflowFiles(ci, "test");
  return Object.fromEntries(Object.entries(files).map(([p, text]) => [path.basename(p), parse(text)]));
}

const CONFIGS: [string, () => CiConfig][] = [
  ["Pulumi.dev.yaml", () => stackConfigOf("dev").ci!],
  ["Pulumi.prod.yaml", () => stackConfigOf("prod").ci!],
  ["a config using every feature", () => fullCiConfig()],
  ["an OIDC config in a folder with a release dispatch", oidcCiConfig],
];

describe("ci: generated workflows", function () {
  this.timeout(180_000);

  for (const [label, config] of CONFIGS) {
    describe(`from ${label}`, () => {
      let dir: string;
      let files: Record<string, string>;
      before(() => {
        files = renderWorkflowFiles(config(), label);
        dir = tempDir("ci-lint");
        writeTree(dir, files);
      });
      after(() => fs.rmSync(dir, { recursive: true, force: true }));

      it("writes the four workflows (and the release dispatch when configured)", () => {
        assert.deepStrictEqual(Object.keys(files).sort(), [
          ".github/workflows/ci.yml",
          ".github/workflows/health-monitor.yml",
          ".github/workflows/pulumi-preview.yml",
          ".github/workflows/pulumi-up.yml",
          ...(config().releaseDispatch ? [".github/workflows/release-dispatch.yml"] : []),
        ]);
      });

      it("passes actionlint", () => {
        const r = lint("actionlint", ["-no-color", ...Object.keys(files)], dir);
        assert.strictEqual(r.code, 0, r.output);
      });

      it("passes zizmor --offline with no findings", () => {
        const r = lint("zizmor", ["--offline", "--no-progress", ".github/workflows"], dir);
        assert.strictEqual(r.code, 0, r.output);
        assert.match(r.output, /No findings to report/);
      });

      it("under zizmor's auditor persona reports only the accepted secrets-outside-env, never in pulumi-up.yml", () => {
        const r = lint(
          "zizmor",
          ["--offline", "--no-progress", "--persona", "auditor", "--format", "json", ".github/workflows"],
          dir,
        );
        const findings = JSON.parse(r.stdout) as {
          ident: string;
          locations: { symbolic: { key: { Local: { verbatim_path: string } } } }[];
        }[];
        const seen = findings.map(
          (f) => `${f.ident} ${path.basename(f.locations[0].symbolic.key.Local.verbatim_path)}`,
        );
        for (const f of seen)
          assert.match(f, /^secrets-outside-env (ci|health-monitor|release-dispatch)\.yml$/, seen.join("\n"));
      });

      it("pins every uses: to a 40-hex SHA with its version as a comment", () => {
        let count = 0;
        for (const [file, text] of Object.entries(files)) {
          for (const line of text.split("\n")) {
            const m = /^\s*(?:- )?uses: (\S+)(.*)$/.exec(line);
            if (!m) continue;
            count++;
            if (m[1].startsWith("./.github/workflows/")) continue;
            assert.match(m[1], /^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/, `${file}: ${line}`);
            const sha = m[1].split("@")[1];
            const pinnedRow = Object.values(PINNED_ACTIONS).find((a) => a.sha === sha);
            const version =
              pinnedRow?.version ?? (sha === "0123456789abcdef0123456789abcdef01234567" ? "v2.1.0" : "?");
            assert.strictEqual(m[2].trim(), `# ${version}`, `${file}: ${line}`);
          }
        }
        assert.ok(count > 10, `expected many uses: lines, saw ${count}`);
      });

      it("never puts ${{ }} in a run: script and reads secrets only via secrets.*", () => {
        for (const [file, text] of Object.entries(files)) {
          const wf = parse(text);
          for (const [id, job] of Object.entries<Yaml>(wf.jobs)) {
            assert.ok(job.permissions, `${file} job ${id} has no permissions`);
            for (const step of job.steps ?? []) {
              if (step.run) assert.ok(!step.run.includes("${{"), `${file} ${id}: ${step.run}`);
              for (const v of Object.values<string>({ ...step.env, ...step.with })) {
                if (typeof v === "string" && /secret/i.test(v) && v.includes("${{")) {
                  assert.match(v, /^\$\{\{ secrets\.[A-Z_][A-Z0-9_]* \}\}$/, `${file} ${id}: ${v}`);
                }
              }
            }
          }
          assert.deepStrictEqual(wf.permissions, {}, `${file}: workflow-level permissions must be {}`);
        }
      });
    });
  }

  describe("ci.yml", () => {
    const ci = fullCiConfig();
    const wf = workflows(ci)["ci.yml"];

    it("runs lint without swallowing failures and tests over the feature-flag matrix", () => {
      const lintRuns = wf.jobs.lint.steps.map((s: Yaml) => s.run).filter(Boolean);
      assert.ok(lintRuns.includes("npm run lint"));
      for (const run of lintRuns) assert.ok(!/\|\|\s*true/.test(run), run);
      assert.deepStrictEqual(wf.jobs.test.strategy.matrix.include, [
        { variant: "default", flags: { FEATURE_A: "", FEATURE_B: "" } },
        { variant: "all-on", flags: { FEATURE_A: "on", FEATURE_B: "yes" } },
      ]);
      assert.strictEqual(wf.jobs.test.env.FEATURE_A, "${{ matrix.flags.FEATURE_A }}");
      assert.strictEqual(wf.jobs.test.strategy["fail-fast"], false);
    });

    it("orders build → e2e smoke → images → deploys, and promotes one environment at a time", () => {
      assert.deepStrictEqual(wf.jobs.build.needs, ["lint", "test"]);
      assert.deepStrictEqual(wf.jobs.e2e.needs, ["build"]);
      assert.deepStrictEqual(wf.jobs["image-api"].needs, ["e2e"]);
      assert.deepStrictEqual(wf.jobs["deploy-dev"].needs, [
        "e2e",
        "image-api",
        "image-web",
        "migrations",
        "audit",
      ]);
      assert.deepStrictEqual(wf.jobs["deploy-staging"].needs, ["deploy-dev"]);
      assert.deepStrictEqual(wf.jobs["deploy-prod"].needs, ["deploy-staging"]);
      for (const env of ["dev", "staging", "prod"]) {
        const job = wf.jobs[`deploy-${env}`];
        assert.strictEqual(job.uses, "./.github/workflows/pulumi-up.yml");
        assert.strictEqual(job.with.environment, env);
        assert.strictEqual(job.if, "github.event_name == 'push' && github.ref == 'refs/heads/main'");
        // Repository secrets are handed over by name, never with `secrets: inherit`.
        assert.strictEqual(job.secrets.SLACK_WEBHOOK_URL, "${{ secrets.SLACK_WEBHOOK_URL }}");
        for (const name of ["RENDER_API_KEY", "PULUMI_ACCESS_TOKEN"]) {
          assert.strictEqual(job.secrets[name], undefined, `${name} stays in the environment`);
        }
      }
    });

    it("hands the deploy that takes the build the digests the image jobs pushed; promoted ones get none", () => {
      for (const c of ["api", "web"]) {
        const job = wf.jobs[`image-${c}`];
        assert.deepStrictEqual(job.outputs, { digest: "${{ steps.build.outputs.digest }}" });
        assert.ok(
          job.steps.some(
            (s: Yaml) => s.id === "build" && String(s.uses).startsWith("docker/build-push-action@"),
          ),
        );
      }
      assert.deepStrictEqual(
        JSON.parse(
          wf.jobs["deploy-dev"].with["release-images"].replace(
            /\$\{\{ needs\.image-(\w+)\.outputs\.digest \}\}/g,
            "sha256:<$1>",
          ),
        ),
        { api: "ghcr.io/acme/api@sha256:<api>", web: "registry.example.com:5000/acme/web@sha256:<web>" },
      );
      assert.strictEqual(wf.jobs["deploy-staging"].with["release-images"], undefined);
      assert.strictEqual(wf.jobs["deploy-prod"].with["release-images"], undefined);
    });

    it("builds each container with a gha cache and pushes only from the default branch", () => {
      const web = wf.jobs["image-web"];
      assert.deepStrictEqual(web.permissions, { contents: "read", packages: "write" });
      const build = web.steps.find((s: Yaml) => String(s.uses).startsWith("docker/build-push-action@"));
      assert.strictEqual(build.with["cache-from"], "type=gha,scope=web");
      assert.strictEqual(build.with["cache-to"], "type=gha,mode=max,scope=web");
      assert.strictEqual(build.with.target, "runtime");
      assert.strictEqual(build.with.tags, "registry.example.com:5000/acme/web:${{ github.sha }}");
      assert.match(build.with.push, /github.ref == 'refs\/heads\/main'/);
      const login = web.steps.find((s: Yaml) => String(s.uses).startsWith("docker/login-action@"));
      assert.strictEqual(login.with.password, "${{ secrets.REGISTRY_PASSWORD }}");
      assert.strictEqual(login.with.registry, "registry.example.com:5000");
    });

    it("lists every gate as a required check", () => {
      assert.deepStrictEqual(requiredChecks(ci), [
        "lint",
        "test (default)",
        "test (all-on)",
        "build",
        "e2e smoke",
        "image (api)",
        "image (web)",
        "migrations",
        "dependency audit",
      ]);
    });
  });

  describe("pulumi-preview.yml, pulumi-up.yml, health-monitor.yml", () => {
    const ci = fullCiConfig();
    const all = workflows(ci);

    it("previews unprotected stacks on same-repository pull requests, protected ones only from the default branch", () => {
      const wf = all["pulumi-preview.yml"];
      assert.deepStrictEqual(Object.keys(wf.on), ["pull_request", "push"]);
      const prod = wf.jobs["preview-prod"];
      assert.strictEqual(prod.if, "github.event_name == 'push' && github.ref == 'refs/heads/main'");
      assert.strictEqual(prod.environment, "prod-read");
      assert.deepStrictEqual(prod.permissions, { contents: "read" });
      const job = wf.jobs["preview-staging"];
      assert.match(job.if, /github\.event\.pull_request\.head\.repo\.full_name == github\.repository/);
      assert.strictEqual(job.environment, "staging-read");
      assert.deepStrictEqual(job.permissions, { contents: "read", "pull-requests": "write" });
      const step = job.steps.find((s: Yaml) => String(s.uses).startsWith("pulumi/actions@"));
      assert.deepStrictEqual(step.with, {
        command: "preview",
        "stack-name": "acme/refapp/staging",
        diff: true,
        policyPacks: "policies",
        "comment-on-pr": true,
        "github-token": "${{ secrets.GITHUB_TOKEN }}",
      });
      assert.strictEqual(
        step.env.RENDER_API_KEY,
        undefined,
        "preview never sees deploy (environment-scope) secrets",
      );
      assert.strictEqual(
        step.env.PULUMI_ACCESS_TOKEN,
        "${{ secrets.PULUMI_ACCESS_TOKEN }}",
        "its read credential",
      );
      assert.strictEqual(step.env.PULUMI_BACKEND_URL, "${{ vars.PULUMI_BACKEND_URL }}");
    });

    it("deploys each environment in its GitHub environment with its own concurrency group", () => {
      const wf = all["pulumi-up.yml"];
      assert.deepStrictEqual(Object.keys(wf.on).sort(), ["workflow_call", "workflow_dispatch"]);
      assert.deepStrictEqual(wf.on.workflow_dispatch.inputs.environment.options, ["dev", "staging", "prod"]);
      for (const env of ["dev", "staging", "prod"]) {
        const job = wf.jobs[`up-${env}`];
        assert.strictEqual(job.environment, env);
        assert.deepStrictEqual(job.concurrency, { group: `pulumi-up-${env}`, "cancel-in-progress": false });
        assert.strictEqual(job.if, `inputs.environment == '${env}'`);
        const up = job.steps.find(
          (s: Yaml) => String(s.uses).startsWith("pulumi/actions@") && s.with?.command,
        );
        assert.strictEqual(up.with.command, "up");
        assert.strictEqual(up.with.policyPacks, "policies");
        assert.strictEqual(up.env.RENDER_API_KEY, "${{ secrets.RENDER_API_KEY }}");
        assert.strictEqual(up.env.REGION, "${{ vars.REGION }}");
      }
    });

    it("runs the smoke checks every 12 hours and alerts on failure", () => {
      const wf = all["health-monitor.yml"];
      assert.deepStrictEqual(wf.on.schedule, [{ cron: "17 */12 * * *" }]);
      const check = wf.jobs["health-prod"].steps.at(-1);
      assert.strictEqual(check.run, "npx ts-node scripts/run-checks.ts --stack prod");
      const alert = wf.jobs.alert;
      assert.deepStrictEqual(alert.needs, ["health-dev", "health-staging", "health-prod"]);
      assert.strictEqual(alert.if, "failure()");
      assert.deepStrictEqual(alert.permissions, { issues: "write" });
      assert.strictEqual(alert.steps[1].env.WEBHOOK_URL, "${{ secrets.SLACK_WEBHOOK_URL }}");
    });
  });
});
