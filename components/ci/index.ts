/**
 * CiPipeline: the delivery pipeline as resources. The workflows are generated from the `ci`
 * section (see ./workflows) and committed with `RepositoryFile`s; the stack's GitHub
 * environment carries the reviewers and wait timer; branch protection requires the gate
 * checks; the workflows' secrets and variables come from the stack config.
 *
 * One stack per repository sets `ci.manageRepository` (workflow files, branch protection,
 * repository-scope secrets and variables); every stack manages its own environment.
 */
import * as github from "@pulumi/github";
import * as pulumi from "@pulumi/pulumi";
import { CiConfig } from "../../config/ci";
import { SecretResolver } from "../secrets";
import { renderWorkflowFiles, requiredChecks } from "./workflows";
import { previewsOnPullRequest, readEnvironmentName } from "./workflows/common";

export { PipelineError } from "./model";
export { renderWorkflowFiles, requiredChecks } from "./workflows";

export interface CiPipelineArgs {
  /** The validated `ci` section of the stack config. */
  ci: CiConfig;
  /** The environment this stack deploys (fleet.environment); must be one of ci.environments. */
  environment: string;
  /** Resolves the secret references of ci.secrets and ci.githubToken. */
  secrets: SecretResolver;
  /** Where the workflows come from, written in their header (e.g. Pulumi.dev.yaml). */
  source: string;
}

/** Resource-name-safe form of a workflow path or secret name. */
function slug(s: string): string {
  return s
    .replace(/^\.github\/workflows\//, "")
    .replace(/\.ya?ml$/, "")
    .replace(/[^A-Za-z0-9-]+/g, "-")
    .toLowerCase();
}

/** A GitHub id looked up by login or slug, as the number the environment API takes. */
function numericId(id: pulumi.Output<string>, what: string): pulumi.Output<number> {
  return id.apply((v) => {
    const n = Number(v);
    if (!Number.isInteger(n)) throw new Error(`${what} resolved to "${v}", not a numeric GitHub id`);
    return n;
  });
}

export class CiPipeline extends pulumi.ComponentResource {
  /** `.github/workflows/<file>` → YAML, also usable without GitHub (scripts/write-workflows.ts). */
  public readonly workflowFiles: Record<string, string>;
  /** Status checks the default branch requires. */
  public readonly requiredChecks: string[];
  /** The GitHub environment this stack manages. */
  public readonly environment: github.RepositoryEnvironment;
  /** Its read environment (`<env>-read`): previews and the health monitor (docs/ci.md, "Credentials"). */
  public readonly readEnvironment: github.RepositoryEnvironment;
  /** Every GitHub resource of the pipeline (to depend on, or to wait for in tests). */
  public readonly resources: pulumi.CustomResource[] = [];

  constructor(name: string, args: CiPipelineArgs, opts?: pulumi.ComponentResourceOptions) {
    // Validated and generated before super(): a bad pipeline registers nothing, not even this
    // component (a component whose constructor throws after super() never completes).
    const { ci } = args;
    const envConfig = ci.environments.find((e) => e.name === args.environment);
    if (!envConfig) {
      throw new Error(
        `ci.environments: this stack deploys environment "${args.environment}" (fleet.environment) but ` +
          `ci.environments lists only ${ci.environments.map((e) => `"${e.name}"`).join(", ")}; add { name: ${args.environment} }`,
      );
    }
    const workflowFiles = renderWorkflowFiles(ci, args.source);
    const checks = requiredChecks(ci);
    super("fleetgate:ci:CiPipeline", name, {}, opts);
    this.workflowFiles = workflowFiles;
    this.requiredChecks = checks;

    const [owner, repository] = ci.repository.split("/");
    const provider = new github.Provider(
      `${name}-github`,
      { owner, token: ci.githubToken ? args.secrets.resolve(ci.githubToken) : undefined },
      { parent: this },
    );
    const child = { parent: this, provider };

    const users = envConfig.reviewers.users.map((username) =>
      numericId(github.getUserOutput({ username }, child).id, `ci reviewer user "${username}"`),
    );
    const teams = envConfig.reviewers.teams.map((slugName) =>
      numericId(github.getTeamOutput({ slug: slugName }, child).id, `ci reviewer team "${slugName}"`),
    );
    const hasReviewers = users.length + teams.length > 0;
    this.environment = this.track(
      new github.RepositoryEnvironment(
        `${name}-env-${envConfig.name}`,
        {
          repository,
          environment: envConfig.name,
          waitTimer: envConfig.waitTimerMinutes,
          reviewers: hasReviewers ? [{ users, teams }] : undefined,
          // The author of a change cannot approve its own deploy.
          preventSelfReview: hasReviewers,
          canAdminsBypass: !hasReviewers,
          // Only protected branches (the default branch) may deploy to an environment.
          deploymentBranchPolicy: { protectedBranches: true, customBranchPolicies: false },
        },
        child,
      ),
    );
    // Read credentials (previews, health monitor) live in their own environment: open to pull
    // request refs only when this environment is previewed on pull requests, else protected
    // branches only, so a pull request never reaches a protected environment's credentials.
    const readName = readEnvironmentName(envConfig);
    this.readEnvironment = this.track(
      new github.RepositoryEnvironment(
        `${name}-env-${readName}`,
        {
          repository,
          environment: readName,
          canAdminsBypass: false,
          deploymentBranchPolicy: previewsOnPullRequest(envConfig)
            ? undefined
            : { protectedBranches: true, customBranchPolicies: false },
        },
        child,
      ),
    );
    const targets = [
      { env: envConfig.name, scopes: ["environment", "read"], dependsOn: this.environment, suffix: "" },
      { env: readName, scopes: ["read"], dependsOn: this.readEnvironment, suffix: "-read" },
    ];
    for (const t of targets) {
      const inEnvironment = { ...child, dependsOn: [t.dependsOn] };
      for (const s of ci.secrets.filter((x) => t.scopes.includes(x.scope))) {
        this.track(
          new github.ActionsEnvironmentSecret(
            `${name}-env-secret${t.suffix}-${slug(s.name)}`,
            {
              repository,
              environment: t.env,
              secretName: s.name,
              plaintextValue: pulumi.secret(args.secrets.resolve(s.value)),
            },
            inEnvironment,
          ),
        );
      }
      for (const v of ci.variables.filter((x) => t.scopes.includes(x.scope))) {
        this.track(
          new github.ActionsEnvironmentVariable(
            `${name}-env-var${t.suffix}-${slug(v.name)}`,
            { repository, environment: t.env, variableName: v.name, value: v.value },
            inEnvironment,
          ),
        );
      }
    }

    if (ci.manageRepository) {
      const branch = ci.workflowBranch ?? ci.defaultBranch;
      const files = Object.entries(this.workflowFiles).map(([file, content]) =>
        this.track(
          new github.RepositoryFile(
            `${name}-workflow-${slug(file)}`,
            {
              repository,
              file,
              content,
              branch,
              commitMessage: `ci: update ${file} (generated by fleetgate from ${args.source})`,
              overwriteOnCreate: true,
            },
            child,
          ),
        ),
      );
      for (const s of ci.secrets.filter((x) => x.scope === "repository")) {
        this.track(
          new github.ActionsSecret(
            `${name}-secret-${slug(s.name)}`,
            { repository, secretName: s.name, plaintextValue: pulumi.secret(args.secrets.resolve(s.value)) },
            child,
          ),
        );
      }
      for (const v of ci.variables.filter((x) => x.scope === "repository")) {
        this.track(
          new github.ActionsVariable(
            `${name}-var-${slug(v.name)}`,
            { repository, variableName: v.name, value: v.value },
            child,
          ),
        );
      }
      // After the files: the first commit of the workflows must not wait for checks they define.
      this.track(
        new github.BranchProtection(
          `${name}-protect-${slug(ci.defaultBranch)}`,
          {
            repositoryId: repository,
            pattern: ci.defaultBranch,
            // Admins (the token that commits the generated workflows) are not held to the checks.
            enforceAdmins: false,
            allowsDeletions: false,
            allowsForcePushes: false,
            requiredStatusChecks: [{ strict: true, contexts: this.requiredChecks }],
            requiredPullRequestReviews: [{ requiredApprovingReviewCount: 1, dismissStaleReviews: true }],
          },
          { ...child, dependsOn: files },
        ),
      );
    }

    this.registerOutputs({
      workflowFiles: this.workflowFiles,
      requiredChecks: this.requiredChecks,
      environment: this.environment.environment,
      readEnvironment: this.readEnvironment.environment,
    });
  }

  private track<T extends pulumi.CustomResource>(resource: T): T {
    this.resources.push(resource);
    return resource;
  }
}
