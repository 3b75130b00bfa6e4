/**
 * The `ci` section of the stack config: the delivery pipeline, emitted as GitHub Actions
 * workflows and GitHub resources (see components/ci and docs/ci.md).
 *
 * Every field is validated here with a message that names the fix; rules across fields of the
 * section (job dependencies, duplicates) run in `ciIssues` below, wired through superRefine so
 * they report the full config path (`ci.jobs[1].needs[0]`).
 */
import { z } from "zod";
import { cronSchedule } from "./schedule";
import { PINNED_ACTION_NAMES, PINNED_USES } from "../components/ci/actions";
import { envVarName, resourceName, secretRef } from "./primitives";

/** A GitHub Actions secret or variable name (GitHub refuses the `GITHUB_` prefix). */
export const githubSecretName = z
  .string()
  .regex(
    /^[A-Z_][A-Z0-9_]*$/,
    "must be an upper-case GitHub secret/variable name such as RENDER_API_KEY (letters, digits, '_')",
  )
  .refine((n) => !n.startsWith("GITHUB_"), "must not start with GITHUB_ (GitHub reserves that prefix)");

/** A workflow job id. */
export const jobId = z
  .string()
  .regex(
    /^[a-z][a-z0-9-]{0,62}$/,
    "must be a lower-case job id such as migrations-check (letters, digits, '-')",
  );

/** A `uses:` of an extra step: a name from the pinned-actions table or `owner/repo@<40-hex sha>`. */
const usesRef = z
  .string()
  .refine((u) => (PINNED_ACTION_NAMES as string[]).includes(u) || PINNED_USES.test(u), {
    error: (issue) =>
      `"${String(issue.input)}" is not pinned to a full commit SHA; write owner/repo@<40-hex commit sha> ` +
      `with the tag in \`version\`, or use one of the pinned actions: ${PINNED_ACTION_NAMES.join(", ")}`,
  });

const stepConfig = z.union(
  [
    z.strictObject({
      name: z.string().min(1),
      /** Shell script. `${{ }}` expressions are refused here: pass values through `env`. */
      run: z
        .string()
        .min(1)
        .refine(
          (s) => !s.includes("${{"),
          "must not contain ${{ }} expressions; pass values through env: instead",
        ),
      env: z.record(envVarName, z.string()).default({}),
    }),
    z.strictObject({
      name: z.string().min(1),
      uses: usesRef,
      /** The released version of a SHA-pinned action, written as a comment beside it. */
      version: z.string().min(1).optional(),
      with: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}),
    }),
  ],
  { error: "must be a step with `run` (and optional env) or `uses` (and optional version, with)" },
);
export type CiStepConfig = z.infer<typeof stepConfig>;

const permissionLevel = z.enum(["read", "write"], { error: "must be read or write" });
const PERMISSION_SCOPES = [
  "actions",
  "checks",
  "contents",
  "deployments",
  "id-token",
  "issues",
  "packages",
  "pull-requests",
  "statuses",
] as const;
const permissionScope = z.enum(PERMISSION_SCOPES, {
  error: `must be a token permission scope: ${PERMISSION_SCOPES.join(", ")}`,
});

export const ciJobConfig = z.strictObject({
  /** Job id; also the name of its status check unless `name` is set. */
  id: jobId,
  name: z.string().min(1).optional(),
  /** Jobs this one waits for: lint, test, build, e2e, image-<container>, or other extra jobs. */
  needs: z.array(jobId).default([]),
  /** Check out, set up Node and install dependencies before the steps (default true). */
  setup: z.boolean().default(true),
  /** Token permissions beyond none; default contents: read. */
  permissions: z.partialRecord(permissionScope, permissionLevel).default({ contents: "read" }),
  steps: z.array(stepConfig).min(1, "must have at least one step"),
});
export type CiJobConfig = z.infer<typeof ciJobConfig>;

const reviewersConfig = z.strictObject({
  /** GitHub user logins (resolved to ids at deploy). */
  users: z.array(z.string().regex(/^[A-Za-z0-9-]+$/, "must be a GitHub login")).default([]),
  /** Team slugs of the repository's organization. */
  teams: z
    .array(z.string().regex(/^[a-z0-9_.-]+$/, "must be a team slug such as platform-leads"))
    .default([]),
});

export const ciEnvironmentConfig = z.strictObject({
  /** GitHub environment name; the stack whose fleet.environment equals it manages it. */
  name: z.string().regex(/^[a-z][a-z0-9-]*$/, "must be a lower-case environment name such as prod"),
  /** Pulumi stack that deploys this environment (default: the environment name). */
  stack: z
    .string()
    .regex(
      /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+){0,2}$/,
      "must be a stack name such as prod or org/fleetgate/prod",
    )
    .optional(),
  /** Who must approve a deploy to this environment (at most 6 users and 6 teams, GitHub's limit). */
  reviewers: reviewersConfig.default({ users: [], teams: [] }),
  /** Minutes to wait after approval before the deploy starts (0-43200, GitHub's limit). */
  waitTimerMinutes: z
    .number()
    .int("must be a whole number of minutes")
    .min(0, "must be 0 or more")
    .max(43_200, "must be at most 43200 minutes (30 days)")
    .default(0),
  /**
   * Preview this environment's stack on pull requests (its read credentials then reach PR jobs).
   * Default: true without reviewers, false with reviewers; a protected environment is previewed
   * only on pushes to the default branch (docs/ci.md, "Credentials").
   */
  previewOnPullRequest: z.boolean().optional(),
  /**
   * Where the deploy of this environment takes its images (docs/release.md): `build` hands it
   * the digests of this run's container builds (`fleetgate:releaseImages`); `promote` hands it
   * nothing, its stack promotes from another stack (release.promoteFrom); `none` (default):
   * the images pinned in the stack file.
   */
  release: z.enum(["build", "promote", "none"], { error: "must be build, promote or none" }).default("none"),
  /** Pulumi Cloud teams whose short-lived OIDC tokens the jobs get (with ci.pulumiOidc). */
  oidcTeams: z
    .strictObject({
      /** Deploys (`pulumi up` in this environment). */
      deploy: z.string().min(1),
      /** Previews and the health monitor (read access to this environment's stack). */
      read: z.string().min(1),
    })
    .optional(),
});
export type CiEnvironmentConfig = z.infer<typeof ciEnvironmentConfig>;

export const ciContainerConfig = z.strictObject({
  /** Build target name; the job is image-<name>. */
  name: resourceName,
  /** Image repository without tag, e.g. ghcr.io/org/api; CI tags it with the commit SHA. */
  image: z
    .string()
    .regex(
      /^[a-z0-9.-]+(:[0-9]+)?\/[a-z0-9._/-]+$/,
      "must be an image repository without tag such as ghcr.io/org/api",
    ),
  /** Build context directory. */
  context: z.string().min(1).default("."),
  /** Dockerfile path. */
  dockerfile: z.string().min(1).default("Dockerfile"),
  /** Multi-stage build target. */
  target: z.string().min(1).optional(),
  /** Fleet services that run this build (default: the service named like the container). */
  services: z.array(resourceName).optional(),
  /** Registry login; default: ghcr.io with the workflow's GITHUB_TOKEN. */
  registry: z
    .strictObject({
      username: z.string().min(1),
      /** Name of the GitHub secret holding the password or token. */
      passwordSecret: githubSecretName,
    })
    .optional(),
});
export type CiContainerConfig = z.infer<typeof ciContainerConfig>;

const scope = z.enum(["environment", "read", "repository"], {
  error: "must be environment, read or repository",
});
export type CiScope = z.infer<typeof scope>;

/** Secrets that read (and decrypt) a Pulumi stack: never repository-scope. */
export const STACK_CREDENTIAL_NAMES = ["PULUMI_ACCESS_TOKEN", "PULUMI_CONFIG_PASSPHRASE"];

export const ciSecretConfig = z.strictObject({
  /** GitHub secret name, the env var the workflow steps receive. */
  name: githubSecretName,
  /** Where the value comes from: a secret of this stack's config. */
  value: secretRef,
  /**
   * `environment` (default): only the deploy job of this stack's environment sees it (behind
   * its reviewers and protected branches). `read`: also the environment's previews and health
   * monitor (GitHub environment `<env>-read`; on pull requests only for environments previewed
   * there). `repository`: every job of every workflow, pull requests included, so never a
   * credential that can read a stack.
   */
  scope: scope.default("environment"),
  /** This secret can read or decrypt a stack (a Pulumi token, a passphrase, a backend key). */
  stackCredential: z.boolean().optional(),
});

export const ciVariableConfig = z.strictObject({
  name: githubSecretName,
  value: z.string(),
  scope: scope.default("environment"),
});

export const ciConfig = z
  .strictObject({
    /** GitHub repository as `owner/name`. */
    repository: z.string().regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, "must be owner/name such as acme/api"),
    /** Branch that deploys. */
    defaultBranch: z.string().min(1).default("main"),
    /**
     * This stack writes the workflow files, branch protection and repository-scope secrets and
     * variables. Exactly one stack per repository should (the others manage only their own
     * environment); default true.
     */
    manageRepository: z.boolean().default(true),
    /**
     * Token of the GitHub provider (admin on the repository: branch protection, environments,
     * secrets); otherwise GITHUB_TOKEN in the environment of `pulumi up`.
     */
    githubToken: secretRef.optional(),
    /** Branch the workflow files are committed to (default: defaultBranch). */
    workflowBranch: z.string().min(1).optional(),
    /** Directory of the fleetgate project inside the repository (where Pulumi.yaml lives). */
    workingDirectory: z
      .string()
      .regex(
        /^(\.|[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*)$/,
        "must be a relative directory such as infra or deploy/fleetgate (no leading / or ..)",
      )
      .refine((d) => !d.split("/").includes(".."), "must not climb out of the repository with ..")
      .default("."),
    /**
     * Pulumi Cloud OIDC: jobs exchange GitHub's OIDC token for a short-lived Pulumi team token
     * (pulumi/auth-actions) instead of a stored PULUMI_ACCESS_TOKEN; each environment names its
     * deploy and read teams (docs/ci.md).
     */
    pulumiOidc: z
      .strictObject({
        organization: z.string().regex(/^[A-Za-z0-9_.-]+$/, "must be a Pulumi organization name"),
        /** Requested lifetime of the token (the service may shorten it). */
        tokenExpirationMinutes: z.number().int().min(5).max(1440).default(60),
      })
      .optional(),
    /**
     * Accept a build handed over by another repository (`repository_dispatch`, docs/release.md):
     * the event's `client_payload.images` (service → repo@sha256:…) deploys to `environment`.
     */
    releaseDispatch: z
      .strictObject({
        eventType: z
          .string()
          .regex(/^[a-z][a-z0-9-]{0,62}$/, "must be a lower-case event type such as fleetgate-release")
          .default("fleetgate-release"),
        environment: z.string().regex(/^[a-z][a-z0-9-]*$/, "must name one of ci.environments"),
      })
      .optional(),
    /** Runner label of every job. */
    runsOn: z.string().min(1).default("ubuntu-24.04"),
    /** Node.js version for setup-node. */
    nodeVersion: z
      .string()
      .regex(/^\d+(\.\d+){0,2}$/, "must be a Node.js version such as 20")
      .default("20"),
    /** Commands the jobs run (no shell expressions from events). */
    commands: z
      .strictObject({
        install: z.string().min(1).default("npm ci"),
        lint: z.string().min(1).default("npm run lint"),
        test: z.string().min(1).default("npm test"),
        build: z.string().min(1).default("npm run build"),
        /** End-to-end smoke run that blocks containers and deploys. */
        e2e: z.string().min(1).default("npm run test:e2e"),
        /** Runs the fleet's smoke checks against a stack (health monitor); `<stack>` is appended via --stack. */
        checks: z.string().min(1).default("npx ts-node scripts/run-checks.ts"),
      })
      .default({
        install: "npm ci",
        lint: "npm run lint",
        test: "npm test",
        build: "npm run build",
        e2e: "npm run test:e2e",
        checks: "npx ts-node scripts/run-checks.ts",
      }),
    /** Test matrix: each variant runs the tests with its feature-flag env vars. */
    featureFlags: z
      .array(
        z.strictObject({
          name: z.string().regex(/^[a-z][a-z0-9-]*$/, "must be a lower-case variant name such as all-on"),
          env: z.record(envVarName, z.string()).default({}),
        }),
      )
      .min(1, "must list at least one variant (e.g. { name: default })")
      .default([{ name: "default", env: {} }]),
    /** Container images built (and on main pushed) after the e2e smoke job. */
    containers: z.array(ciContainerConfig).default([]),
    /** Environments in promotion order: each deploys only after the previous one's gates pass. */
    environments: z
      .array(ciEnvironmentConfig)
      .min(1, "must list at least one environment (e.g. { name: dev })"),
    /** Policy pack directory passed to pulumi preview/up. */
    policyPack: z.string().min(1).default("policies"),
    /** Status checks required on the default branch, beyond the generated gate jobs. */
    requiredChecks: z.array(z.string().min(1)).default([]),
    /** Extra gate jobs; deploys wait for all of them. */
    jobs: z.array(ciJobConfig).default([]),
    /** GitHub secrets the workflows pass to pulumi and the checks. */
    secrets: z.array(ciSecretConfig).default([]),
    /** GitHub variables the workflows pass to pulumi and the checks (e.g. PULUMI_BACKEND_URL). */
    variables: z.array(ciVariableConfig).default([]),
    /** Scheduled run of the fleet's smoke checks. */
    healthMonitor: z
      .strictObject({
        /** Cron (UTC); default every 12 hours. */
        schedule: cronSchedule.default("17 */12 * * *"),
        /** Secret holding a webhook URL (Slack-compatible) to post to on failure; an issue is opened either way. */
        alertWebhookSecret: githubSecretName.optional(),
      })
      .default({ schedule: "17 */12 * * *" }),
  })
  .superRefine((cfg, ctx) => {
    for (const issue of ciIssues(cfg))
      ctx.addIssue({ code: "custom", path: issue.path, message: issue.message });
  });
export type CiConfig = z.infer<typeof ciConfig>;

/** Job ids the pipeline generates itself (extra jobs may need these, not deploys). */
export function builtinJobIds(cfg: Pick<CiConfig, "containers">): string[] {
  return ["lint", "test", "build", "e2e", ...cfg.containers.map((c) => `image-${c.name}`)];
}

function duplicates(values: readonly string[]): string[] {
  const seen = new Set<string>();
  return values.filter((v) => (seen.has(v) ? true : (seen.add(v), false)));
}

/** Finds one dependency cycle among extra jobs, as the list of ids along it. */
export function findCycle(edges: ReadonlyMap<string, readonly string[]>): string[] | undefined {
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (id: string): string[] | undefined => {
    if (state.get(id) === "done") return undefined;
    if (state.get(id) === "open") return [...stack.slice(stack.indexOf(id)), id];
    state.set(id, "open");
    stack.push(id);
    for (const next of edges.get(id) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(id, "done");
    return undefined;
  };
  for (const id of edges.keys()) {
    const cycle = visit(id);
    if (cycle) return cycle;
  }
  return undefined;
}

/** Rules across the fields of the ci section. */
export function ciIssues(cfg: CiConfig): { path: (string | number)[]; message: string }[] {
  const issues: { path: (string | number)[]; message: string }[] = [];
  const builtins = builtinJobIds(cfg);
  const extra = cfg.jobs.map((j) => j.id);

  // The workflows deploy from runners that are discarded after each job: the state must live
  // in a backend the whole team shares (with locking), never in a runner's files.
  const backendUrl = [...cfg.variables, ...cfg.secrets].find((v) => v.name === "PULUMI_BACKEND_URL");
  // Pulumi Cloud OIDC issues the access token in the job itself (docs/ci.md): that is Pulumi Cloud.
  const cloudToken = cfg.secrets.some((s) => s.name === "PULUMI_ACCESS_TOKEN") || !!cfg.pulumiOidc;
  if (!backendUrl && !cloudToken) {
    issues.push({
      path: ["secrets"],
      message:
        "the workflows need a shared state backend: add secret PULUMI_ACCESS_TOKEN or `pulumiOidc` (Pulumi Cloud), or variable PULUMI_BACKEND_URL (e.g. s3://<bucket>; docs/evidence.md)",
    });
  } else if (
    backendUrl &&
    "value" in backendUrl &&
    typeof backendUrl.value === "string" &&
    /^file:/.test(backendUrl.value)
  ) {
    issues.push({
      path: ["variables", cfg.variables.indexOf(backendUrl as never), "value"],
      message:
        "a file:// backend lives on one runner and is lost with it; use a shared backend such as s3://<bucket> (docs/evidence.md)",
    });
  }

  for (const d of duplicates(cfg.environments.map((e) => e.name))) {
    issues.push({
      path: ["environments", cfg.environments.map((e) => e.name).lastIndexOf(d), "name"],
      message: `environment "${d}" is listed twice; list each environment once, in promotion order`,
    });
  }
  const stacks = cfg.environments.map((e) => e.stack ?? e.name);
  for (const d of duplicates(stacks)) {
    issues.push({
      path: ["environments", stacks.lastIndexOf(d), "stack"],
      message: `stack "${d}" deploys two environments; give each environment its own stack`,
    });
  }
  cfg.environments.forEach((e, i) => {
    if (e.reviewers.users.length > 6 || e.reviewers.teams.length > 6) {
      issues.push({
        path: ["environments", i, "reviewers"],
        message: "GitHub allows at most 6 users and 6 teams as required reviewers",
      });
    }
  });
  for (const d of duplicates(cfg.containers.map((c) => c.name))) {
    issues.push({
      path: ["containers"],
      message: `container "${d}" is listed twice; give each build its own name`,
    });
  }
  cfg.secrets.forEach((s, i) => {
    if (s.scope === "repository" && (s.stackCredential || STACK_CREDENTIAL_NAMES.includes(s.name))) {
      issues.push({
        path: ["secrets", i, "scope"],
        message: `${s.name} can read a stack's secrets, and repository-scope secrets reach every pull request; use scope: read (previews and the health monitor of one environment) or environment (its deploys only)`,
      });
    }
  });
  if (cfg.pulumiOidc) {
    cfg.environments.forEach((e, i) => {
      if (!e.oidcTeams) {
        issues.push({
          path: ["environments", i, "oidcTeams"],
          message: `ci.pulumiOidc needs the Pulumi teams of environment "${e.name}"; set oidcTeams: { deploy: <team>, read: <team> }`,
        });
      }
    });
  }
  if (cfg.releaseDispatch) {
    const target = cfg.environments.find((e) => e.name === cfg.releaseDispatch!.environment);
    if (!target) {
      issues.push({
        path: ["releaseDispatch", "environment"],
        message: `unknown environment "${cfg.releaseDispatch.environment}"; name one of ${cfg.environments.map((e) => e.name).join(", ")}`,
      });
    } else if (target.release !== "build") {
      issues.push({
        path: ["releaseDispatch", "environment"],
        message: `environment "${target.name}" does not take a build (release: ${target.release}); set release: build on it`,
      });
    }
  }
  cfg.environments.forEach((e, i) => {
    if (e.previewOnPullRequest && e.reviewers.users.length + e.reviewers.teams.length > 0) {
      issues.push({
        path: ["environments", i, "previewOnPullRequest"],
        message: `environment "${e.name}" has reviewers, so it is protected: its read credentials must not reach pull requests; remove previewOnPullRequest (it is previewed on pushes to ${cfg.defaultBranch})`,
      });
    }
    if (e.release === "build" && cfg.containers.length === 0 && !cfg.releaseDispatch) {
      issues.push({
        path: ["environments", i, "release"],
        message:
          "release: build needs ci.containers (the builds whose digests it deploys) or ci.releaseDispatch",
      });
    }
  });
  for (const d of duplicates(cfg.featureFlags.map((f) => f.name))) {
    issues.push({ path: ["featureFlags"], message: `feature-flag variant "${d}" is listed twice` });
  }
  for (const d of duplicates([...cfg.secrets, ...cfg.variables].map((s) => s.name))) {
    issues.push({
      path: ["secrets"],
      message: `"${d}" is declared twice (secrets and variables share one env namespace); keep one`,
    });
  }

  cfg.jobs.forEach((job, i) => {
    if (builtins.includes(job.id) || /^(deploy|image)-/.test(job.id)) {
      issues.push({
        path: ["jobs", i, "id"],
        message: `job id "${job.id}" is reserved for a generated job; choose another id`,
      });
    }
    if (extra.indexOf(job.id) !== i) {
      issues.push({ path: ["jobs", i, "id"], message: `job id "${job.id}" is used twice` });
    }
    job.needs.forEach((need, j) => {
      if (!builtins.includes(need) && !extra.includes(need)) {
        const hint = need.startsWith("deploy-")
          ? "extra jobs are gates and run before every deploy"
          : `known jobs: ${[...builtins, ...extra].join(", ")}`;
        issues.push({ path: ["jobs", i, "needs", j], message: `unknown job "${need}"; ${hint}` });
      }
    });
  });
  const cycle = findCycle(new Map(cfg.jobs.map((j) => [j.id, j.needs.filter((n) => extra.includes(n))])));
  if (cycle) {
    issues.push({
      path: ["jobs", extra.indexOf(cycle[0]), "needs"],
      message: `jobs depend on each other in a cycle (${cycle.join(" -> ")}); remove one of these needs`,
    });
  }
  return issues;
}
