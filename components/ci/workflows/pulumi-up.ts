/**
 * pulumi-up.yml: one job per environment, each in its GitHub environment (reviewers, wait
 * timer, environment secrets) with its own concurrency group so two deploys of one
 * environment never overlap. Called by ci.yml on a push to the default branch after the gates
 * (and the previous environment) passed, by release-dispatch.yml with another repository's
 * build, or dispatched by hand for one environment.
 *
 * The release input (`release-images`: service → repo@sha256:…) is set as stack config in the
 * job (`pulumi config set fleetgate:releaseImages`), never committed (docs/release.md).
 */
import { CiConfig } from "../../../config/ci";
import { pinned } from "../actions";
import { CallJob, Job, Workflow } from "../model";
import {
  credentialEnv,
  inProject,
  oidcPermission,
  projectSetup,
  pulumiAuth,
  pulumiWorkDir,
  stackOf,
} from "./common";

export const PULUMI_UP_FILE = "pulumi-up.yml";

/** Repository-scope secrets a reusable workflow must be handed explicitly (never `inherit`). */
export function repositorySecretsForCall(ci: CiConfig): Pick<CallJob, "secrets"> {
  const names = ci.secrets.filter((s) => s.scope === "repository").map((s) => s.name);
  return names.length ? { secrets: Object.fromEntries(names.map((n) => [n, `\${{ secrets.${n} }}`])) } : {};
}

/**
 * Checks the release input's shape before anything reads it (the stack config validates it
 * again against the services), then sets it as stack config for this run only.
 */
const SET_RELEASE_INPUT = `if [ "$RELEASE_IMAGES" = "{}" ] || [ -z "$RELEASE_IMAGES" ]; then
  echo "No release input: the stack deploys its pinned or promoted images."
  exit 0
fi
if [ "$TAKES_BUILD" != "true" ]; then
  echo "::error::environment $ENVIRONMENT does not take a build (ci.environments[].release is not build); it promotes or stays pinned"
  exit 1
fi
node -e '
const images = JSON.parse(process.env.RELEASE_IMAGES);
if (!images || typeof images !== "object" || Array.isArray(images)) throw new Error("release-images must be a JSON object: service -> repo@sha256:<64 hex>");
for (const [service, ref] of Object.entries(images)) {
  if (!/^[a-z][a-z0-9-]{0,61}[a-z0-9]$/.test(service)) throw new Error("release-images: bad service name " + JSON.stringify(service));
  if (typeof ref !== "string" || !/^[a-z0-9.:-]+(\\/[a-z0-9._-]+)+@sha256:[a-f0-9]{64}$/.test(ref)) throw new Error("release-images." + service + " must be repo@sha256:<64 hex>");
}'
pulumi config set --stack "$STACK" fleetgate:releaseImages "$RELEASE_IMAGES"
`;

export function pulumiUpWorkflow(ci: CiConfig): Workflow {
  const envNames = ci.environments.map((e) => e.name);
  const jobs: Record<string, Job> = {};
  for (const env of ci.environments) {
    const credentials = credentialEnv(ci, ["environment", "read", "repository"]);
    jobs[`up-${env.name}`] = {
      name: `pulumi up (${env.name})`,
      if: `inputs.environment == '${env.name}'`,
      runsOn: ci.runsOn,
      permissions: { contents: "read", ...oidcPermission(ci) },
      environment: env.name,
      concurrency: { group: `pulumi-up-${env.name}`, cancelInProgress: false },
      timeoutMinutes: 60,
      ...inProject(ci),
      steps: [
        ...projectSetup(ci),
        ...pulumiAuth(ci, env, "deploy"),
        { name: "Install the Pulumi CLI", uses: pinned("pulumi"), with: { ...pulumiWorkDir(ci) } },
        {
          name: "Set the release input (this run only, never committed)",
          env: {
            RELEASE_IMAGES: "${{ inputs.release-images }}",
            TAKES_BUILD: String(env.release === "build"),
            ENVIRONMENT: env.name,
            STACK: stackOf(env),
            ...credentials,
          },
          run: SET_RELEASE_INPUT,
        },
        {
          name: "pulumi up (smoke and integrity gates run inside the update)",
          uses: pinned("pulumi"),
          with: {
            command: "up",
            "stack-name": stackOf(env),
            policyPacks: ci.policyPack,
            diff: true,
            ...pulumiWorkDir(ci),
          },
          env: credentials,
        },
      ],
    };
  }
  const releaseInput = {
    description: "Release input: JSON object service -> repo@sha256:<64 hex> (docs/release.md)",
    required: false,
    type: "string" as const,
    default: "{}",
  };
  return {
    file: PULUMI_UP_FILE,
    name: "pulumi up",
    on: {
      workflow_call: {
        inputs: {
          environment: { description: "Environment to deploy", required: true, type: "string" },
          "release-images": releaseInput,
        },
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
          "release-images": releaseInput,
        },
      },
    },
    permissions: {},
    jobs,
  };
}
