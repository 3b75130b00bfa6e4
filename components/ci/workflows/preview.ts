/**
 * pulumi-preview.yml: `pulumi preview --diff` of each environment's stack with the policy
 * pack, run in the environment's read environment (`<env>-read`, docs/ci.md "Credentials"):
 * - on pull requests from this repository, for environments previewed there (default: those
 *   without reviewers); pulumi/actions comments the result on the PR. Fork PRs get no secrets
 *   from GitHub, so their previews are skipped rather than failed;
 * - on pushes to the default branch (a protected ref) for every environment, so a protected
 *   environment (prod) is previewed only with code that already passed review.
 */
import { CiConfig } from "../../../config/ci";
import { pinned } from "../actions";
import { Job, Workflow } from "../model";
import {
  credentialEnv,
  inProject,
  oidcPermission,
  onDefaultBranchPush,
  previewsOnPullRequest,
  projectSetup,
  pulumiAuth,
  pulumiWorkDir,
  readEnvironmentName,
  stackOf,
} from "./common";

export const PREVIEW_FILE = "pulumi-preview.yml";

/** True for a pull request whose head branch lives in this repository (not a fork). */
export const SAME_REPOSITORY_PR =
  "github.event_name == 'pull_request' && github.event.pull_request.head.repo.full_name == github.repository";

export function previewWorkflow(ci: CiConfig): Workflow {
  const jobs: Record<string, Job> = {};
  for (const env of ci.environments) {
    const onPr = previewsOnPullRequest(env);
    jobs[`preview-${env.name}`] = {
      name: `preview (${env.name})`,
      if: onPr ? `(${onDefaultBranchPush(ci)}) || (${SAME_REPOSITORY_PR})` : onDefaultBranchPush(ci),
      runsOn: ci.runsOn,
      permissions: { contents: "read", ...(onPr ? { "pull-requests": "write" } : {}), ...oidcPermission(ci) },
      environment: readEnvironmentName(env),
      timeoutMinutes: 30,
      ...inProject(ci),
      steps: [
        ...projectSetup(ci),
        ...pulumiAuth(ci, env, "read"),
        {
          name: "pulumi preview --diff",
          uses: pinned("pulumi"),
          with: {
            command: "preview",
            "stack-name": stackOf(env),
            diff: true,
            policyPacks: ci.policyPack,
            ...(onPr ? { "comment-on-pr": true, "github-token": "${{ secrets.GITHUB_TOKEN }}" } : {}),
            ...pulumiWorkDir(ci),
          },
          env: credentialEnv(ci, ["read", "repository"]),
        },
      ],
    };
  }
  return {
    file: PREVIEW_FILE,
    name: "pulumi preview",
    on: { pull_request: { branches: [ci.defaultBranch] }, push: { branches: [ci.defaultBranch] } },
    permissions: {},
    concurrency: { group: "pulumi-preview-${{ github.ref }}", cancelInProgress: true },
    jobs,
  };
}
