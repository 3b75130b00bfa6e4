/**
 * Which triggers reach which secrets: a walk over every job of the generated workflows.
 *
 * For each trigger (pull_request, push, schedule, workflow_dispatch, repository_dispatch) the
 * walk follows the jobs whose `if:` can be true under it, into reusable workflows through the
 * calling jobs, and resolves every `secrets.NAME` a job references the way GitHub does: a
 * repository secret everywhere; an environment secret only inside a job that enters that
 * environment, and only if the environment's deployment-branch policy admits the trigger's ref
 * (a pull request ref is never a protected branch). It then asserts that no pull_request job
 * can reach a credential of a protected environment, not even by editing the workflow in the PR.
 */
import * as assert from "assert";
import * as path from "path";
import { parse } from "yaml";
import { previewsOnPullRequest, readEnvironmentName } from "../../components/ci/workflows/common";
import { renderWorkflowFiles } from "../../components/ci/workflows";
import { CiConfig } from "../../config/ci";
import { fullCiConfig, oidcCiConfig, stackConfigOf } from "./support";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Yaml = any;
type Trigger = "pull_request" | "push" | "schedule" | "workflow_dispatch" | "repository_dispatch";
const TRIGGERS: Trigger[] = ["pull_request", "push", "schedule", "workflow_dispatch", "repository_dispatch"];

/** The GitHub environments a pipeline creates, what each holds, and which refs may enter it. */
function environmentPlan(
  ci: CiConfig,
): Map<string, { secrets: Set<string>; admitsPullRequests: boolean; protects: string }> {
  const plan = new Map<string, { secrets: Set<string>; admitsPullRequests: boolean; protects: string }>();
  for (const env of ci.environments) {
    const of = (scopes: string[]) =>
      new Set(ci.secrets.filter((s) => scopes.includes(s.scope)).map((s) => s.name));
    // components/ci/index.ts: deploy environments admit protected branches only; read
    // environments admit pull requests only when the environment is previewed there.
    plan.set(env.name, {
      secrets: of(["environment", "read"]),
      admitsPullRequests: false,
      protects: env.name,
    });
    plan.set(readEnvironmentName(env), {
      secrets: of(["read"]),
      admitsPullRequests: previewsOnPullRequest(env),
      protects: env.name,
    });
  }
  return plan;
}

/** Evaluates the `if:` expressions the generator writes; anything it cannot decide counts as true. */
function mayRun(
  expr: string | undefined,
  trigger: Trigger,
  repository: string,
  defaultBranch: string,
  inputs: Record<string, unknown> = {},
): boolean {
  if (!expr) return true;
  const known: Record<string, string | undefined> = {
    // Inputs a calling job passes (`with:`); a hand dispatch may choose any.
    ...Object.fromEntries(Object.entries(inputs).map(([k, v]) => [`inputs.${k}`, String(v)])),
    "github.event_name": trigger,
    "github.ref":
      trigger === "pull_request"
        ? "refs/pull/1/merge"
        : trigger === "workflow_dispatch"
          ? undefined
          : `refs/heads/${defaultBranch}`,
    // The worst case: a pull request from a branch of this repository (forks get no secrets).
    "github.event.pull_request.head.repo.full_name": trigger === "pull_request" ? repository : undefined,
    "github.repository": repository,
  };
  const tokens = expr
    .match(/\(|\)|&&|\|\||[^()&|]+/g)!
    .map((t) => t.trim())
    .filter(Boolean);
  let i = 0;
  const atom = (): boolean => {
    const t = tokens[i++];
    if (t === "(") {
      const v = or();
      i++; // ")"
      return v;
    }
    const m = /^(\S+)\s*==\s*(\S+)$/.exec(t);
    if (!m) return true; // failure(), always(), ...
    const value = (side: string) => (/^'.*'$/.test(side) ? side.slice(1, -1) : known[side]);
    const [a, b] = [value(m[1]), value(m[2])];
    return a === undefined || b === undefined ? true : a === b;
  };
  const and = (): boolean => {
    let v = atom();
    while (tokens[i] === "&&") {
      i++;
      v = atom() && v;
    }
    return v;
  };
  const or = (): boolean => {
    let v = and();
    while (tokens[i] === "||") {
      i++;
      v = or() || v;
    }
    return v;
  };
  return or();
}

interface Reach {
  trigger: Trigger;
  where: string;
  environment?: string;
  secret: string;
  /** The secret's value comes from this GitHub environment (undefined: repository secret). */
  from?: string;
}

function walk(ci: CiConfig): { reach: Reach[]; problems: string[] } {
  const files = renderWorkflowFiles(ci, "test");
  const wfs = new Map(Object.entries(files).map(([p, text]) => [`./${p}`, parse(text) as Yaml]));
  const plan = environmentPlan(ci);
  const repoSecrets = new Set(ci.secrets.filter((s) => s.scope === "repository").map((s) => s.name));
  const reach: Reach[] = [];
  const problems: string[] = [];

  const visit = (file: string, trigger: Trigger, via: string, inputs: Record<string, unknown> = {}) => {
    const wf = wfs.get(file)!;
    for (const [id, job] of Object.entries<Yaml>(wf.jobs)) {
      if (!mayRun(job.if, trigger, ci.repository, ci.defaultBranch, inputs)) continue;
      const where = `${via}${path.basename(file)}#${id}`;
      if (job.uses) {
        visit(job.uses, trigger, `${where} -> `, job.with ?? {});
        continue;
      }
      const env = job.environment as string | undefined;
      if (env && trigger === "pull_request" && !plan.get(env)?.admitsPullRequests) {
        problems.push(`${where} enters environment ${env} on pull_request, which its branch policy refuses`);
        continue;
      }
      for (const m of JSON.stringify(job).matchAll(/secrets\.([A-Z_][A-Z0-9_]*)/g)) {
        const name = m[1];
        if (name === "GITHUB_TOKEN") continue;
        if (env && plan.get(env)?.secrets.has(name))
          reach.push({ trigger, where, environment: env, secret: name, from: env });
        else if (repoSecrets.has(name)) reach.push({ trigger, where, environment: env, secret: name });
      }
      if (job.permissions?.["id-token"] === "write" && trigger === "pull_request" && !env) {
        problems.push(`${where} requests an OIDC token on pull_request outside any environment`);
      }
    }
  };
  for (const [file, wf] of wfs) {
    for (const trigger of TRIGGERS) if (trigger in (wf.on ?? {})) visit(file, trigger, "");
  }
  return { reach, problems };
}

/** Secrets of protected environments (not previewed on pull requests: prod and the like). */
function protectedCredentials(ci: CiConfig): Set<string> {
  const out = new Set<string>();
  for (const [name, env] of environmentPlan(ci)) {
    const cfg = ci.environments.find((e) => e.name === env.protects)!;
    if (!previewsOnPullRequest(cfg)) for (const s of env.secrets) out.add(`${name}/${s}`);
  }
  return out;
}

const CONFIGS: [string, () => CiConfig][] = [
  ["Pulumi.dev.yaml", () => stackConfigOf("dev").ci!],
  ["a config using every feature", () => fullCiConfig()],
  ["an OIDC config in a folder with a release dispatch", oidcCiConfig],
];

describe("ci: which triggers reach which secrets", () => {
  for (const [label, config] of CONFIGS) {
    describe(`from ${label}`, () => {
      const ci = config();
      const { reach, problems } = walk(ci);

      it("walks every job without a job the branch policies would refuse", () => {
        assert.deepStrictEqual(problems, []);
        assert.ok(reach.length > 0 || ci.secrets.length === 0);
      });

      it("no pull_request job reaches a credential of a protected environment or a deploy secret", () => {
        const prodCreds = protectedCredentials(ci);
        for (const r of reach.filter((x) => x.trigger === "pull_request")) {
          assert.ok(!prodCreds.has(`${r.from}/${r.secret}`), `${r.where} reaches ${r.from}/${r.secret}`);
          const scope = ci.secrets.find((s) => s.name === r.secret)!.scope;
          assert.notStrictEqual(scope, "environment", `${r.where} reaches deploy secret ${r.secret}`);
          if (r.from) assert.ok(r.from.endsWith("-read"), `${r.where}: ${r.from}`);
        }
      });

      it("even a workflow edited in the pull request reaches only repository secrets and unprotected read environments", () => {
        // What a PR author could read by adding a step: repository secrets, and the secrets of
        // every environment whose branch policy admits a pull request ref.
        const reachable = new Set(
          ci.secrets.filter((s) => s.scope === "repository").map((s) => `repo/${s.name}`),
        );
        for (const [name, env] of environmentPlan(ci))
          if (env.admitsPullRequests) for (const s of env.secrets) reachable.add(`${name}/${s}`);
        const prodCreds = protectedCredentials(ci);
        for (const r of reachable) assert.ok(!prodCreds.has(r), r);
        for (const s of ci.secrets) {
          if (s.scope === "repository")
            assert.ok(!["PULUMI_ACCESS_TOKEN", "PULUMI_CONFIG_PASSPHRASE"].includes(s.name));
        }
        for (const env of ci.environments.filter(
          (e) => e.reviewers.users.length + e.reviewers.teams.length > 0,
        )) {
          assert.ok(
            ![...reachable].some((r) => r.startsWith(`${env.name}/`) || r.startsWith(`${env.name}-read/`)),
            env.name,
          );
        }
      });

      it("protected environments' credentials are reached only from the default branch (push, schedule) or a dispatch", () => {
        const prodCreds = protectedCredentials(ci);
        const triggers = new Set(
          reach.filter((r) => prodCreds.has(`${r.from}/${r.secret}`)).map((r) => r.trigger),
        );
        for (const t of triggers) assert.ok(["push", "schedule", "workflow_dispatch"].includes(t), t);
      });
    });
  }

  it("the reference config: deploy secrets only in pulumi up, read credentials in previews and the monitor", () => {
    const { reach } = walk(fullCiConfig());
    const seen = (trigger: Trigger, secret: string) =>
      [
        ...new Set(
          reach
            .filter((r) => r.trigger === trigger && r.secret === secret)
            .map((r) => `${r.where}@${r.from ?? "repo"}`),
        ),
      ].sort();
    assert.deepStrictEqual(seen("pull_request", "PULUMI_ACCESS_TOKEN"), [
      "pulumi-preview.yml#preview-dev@dev-read",
      "pulumi-preview.yml#preview-staging@staging-read",
    ]);
    assert.deepStrictEqual(seen("pull_request", "RENDER_API_KEY"), []);
    assert.deepStrictEqual(seen("push", "RENDER_API_KEY"), [
      "ci.yml#deploy-dev -> pulumi-up.yml#up-dev@dev",
      "ci.yml#deploy-prod -> pulumi-up.yml#up-prod@prod",
      "ci.yml#deploy-staging -> pulumi-up.yml#up-staging@staging",
    ]);
    assert.ok(seen("push", "PULUMI_ACCESS_TOKEN").includes("pulumi-preview.yml#preview-prod@prod-read"));
    assert.ok(seen("schedule", "PULUMI_ACCESS_TOKEN").includes("health-monitor.yml#health-prod@prod-read"));
  });

  it("the walk catches a leak: a prod credential handed to pull requests as a repository secret is found", () => {
    // The config refuses a repository-scope PULUMI_ACCESS_TOKEN; a secret under another name
    // not flagged as a stack credential shows what the walk would report.
    const leaky = fullCiConfig({
      secrets: [
        { name: "PROD_DB_URL", value: { secret: "prodDb" }, scope: "repository" },
        { name: "RENDER_API_KEY", value: { secret: "renderApiKey" } },
      ],
    });
    const { reach } = walk(leaky);
    assert.ok(reach.some((r) => r.trigger === "pull_request" && r.secret === "PROD_DB_URL"));
    assert.throws(
      () =>
        fullCiConfig({
          secrets: [
            { name: "PROD_DB_URL", value: { secret: "prodDb" }, scope: "repository", stackCredential: true },
          ],
        }),
      /PROD_DB_URL can read a stack's secrets, and repository-scope secrets reach every pull request/,
    );
  });
});
