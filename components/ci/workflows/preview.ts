/**
 * pulumi-preview.yml: on every pull request, `pulumi preview --diff` of each environment's
 * stack with the policy pack; pulumi/actions comments the result on the PR. Only
 * repository-scope secrets are available here (use read-only credentials for them).
 */
import { CiConfig } from "../../../config/ci";
import { pinned } from "../actions";
import { Job, Workflow } from "../model";
import { credentialEnv, projectSetup, stackOf } from "./common";

export const PREVIEW_FILE = "pulumi-preview.yml";

export function previewWorkflow(ci: CiConfig): Workflow {
  const jobs: Record<string, Job> = {};
  for (const env of ci.environments) {
    jobs[`preview-${env.name}`] = {
      name: `preview (${env.name})`,
      runsOn: ci.runsOn,
      permissions: { contents: "read", "pull-requests": "write" },
      timeoutMinutes: 30,
      steps: [
        ...projectSetup(ci),
        {
          name: "pulumi preview --diff",
          uses: pinned("pulumi"),
          with: {
            command: "preview",
            "stack-name": stackOf(env),
            diff: true,
            policyPacks: ci.policyPack,
            "comment-on-pr": true,
            "github-token": "${{ secrets.GITHUB_TOKEN }}",
          },
          env: credentialEnv(ci, ["repository"]),
        },
      ],
    };
  }
  return {
    file: PREVIEW_FILE,
    name: "pulumi preview",
    on: { pull_request: { branches: [ci.defaultBranch] } },
    permissions: {},
    concurrency: { group: "pulumi-preview-${{ github.ref }}", cancelInProgress: true },
    jobs,
  };
}
