/**
 * pulumi-up.yml: one job per environment, each in its GitHub environment (reviewers, wait
 * timer, environment secrets) with its own concurrency group so two deploys of one
 * environment never overlap. Called by ci.yml on a push to the default branch after the gates
 * (and the previous environment) passed, or dispatched by hand for one environment.
 */
import { CiConfig } from "../../../config/ci";
import { pinned } from "../actions";
import { CallJob, Job, Workflow } from "../model";
import { credentialEnv, projectSetup, stackOf } from "./common";

export const PULUMI_UP_FILE = "pulumi-up.yml";

/** Repository-scope secrets a reusable workflow must be handed explicitly (never `inherit`). */
export function repositorySecretsForCall(ci: CiConfig): Pick<CallJob, "secrets"> {
  const names = ci.secrets.filter((s) => s.scope === "repository").map((s) => s.name);
  return names.length ? { secrets: Object.fromEntries(names.map((n) => [n, `\${{ secrets.${n} }}`])) } : {};
}

export function pulumiUpWorkflow(ci: CiConfig): Workflow {
  const envNames = ci.environments.map((e) => e.name);
  const jobs: Record<string, Job> = {};
  for (const env of ci.environments) {
    jobs[`up-${env.name}`] = {
      name: `pulumi up (${env.name})`,
      if: `inputs.environment == '${env.name}'`,
      runsOn: ci.runsOn,
      permissions: { contents: "read" },
      environment: env.name,
      concurrency: { group: `pulumi-up-${env.name}`, cancelInProgress: false },
      timeoutMinutes: 60,
      steps: [
        ...projectSetup(ci),
        {
          name: "pulumi up (smoke and integrity gates run inside the update)",
          uses: pinned("pulumi"),
          with: { command: "up", "stack-name": stackOf(env), policyPacks: ci.policyPack, diff: true },
          env: credentialEnv(ci, ["environment", "repository"]),
        },
      ],
    };
  }
  return {
    file: PULUMI_UP_FILE,
    name: "pulumi up",
    on: {
      workflow_call: {
        inputs: { environment: { description: "Environment to deploy", required: true, type: "string" } },
        // Environment secrets resolve inside the job's environment; they are declared too so
        // the secrets context lists them (the caller passes only repository-scope ones).
        ...(ci.secrets.length
          ? {
              secrets: Object.fromEntries(
                ci.secrets.map((s) => [
                  s.name,
                  { description: `${s.scope}-scope secret ${s.name}`, required: false },
                ]),
              ),
            }
          : {}),
      },
      workflow_dispatch: {
        inputs: {
          environment: {
            description: "Environment to deploy",
            required: true,
            type: "choice",
            options: envNames,
          },
        },
      },
    },
    permissions: {},
    jobs,
  };
}
