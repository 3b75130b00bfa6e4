/**
 * ci.yml: lint → tests over the feature-flag matrix → build → e2e smoke (blocks everything
 * after it) → one container build per target → deploy to each environment in promotion order,
 * each through pulumi-up.yml and only after the previous environment's deploy (and its gates,
 * which run inside `pulumi up`) passed.
 */
import { CiConfig, CiContainerConfig, CiJobConfig } from "../../../config/ci";
import { PINNED_ACTION_NAMES, PINNED_ACTIONS, PinnedActionName } from "../actions";
import { CallJob, Job, Permissions, Step, StepsJob, Workflow } from "../model";
import {
  checkout,
  inProject,
  oidcPermission,
  onDefaultBranchPush,
  projectSetup,
  WORKFLOW_DIR,
} from "./common";
import { PULUMI_UP_FILE, repositorySecretsForCall } from "./pulumi-up";

export const CI_FILE = "ci.yml";

const READ: Permissions = { contents: "read" };

function stepsJob(
  ci: CiConfig,
  name: string,
  needs: string[],
  steps: Step[],
  extra: Partial<StepsJob> = {},
): StepsJob {
  return {
    name,
    needs,
    runsOn: ci.runsOn,
    permissions: READ,
    timeoutMinutes: 30,
    ...inProject(ci),
    steps,
    ...extra,
  };
}

/** Every flag key appears in every variant (empty when unset) so the matrix has one shape. */
function testMatrix(ci: CiConfig): { include: Record<string, unknown>[]; keys: string[] } {
  const keys = [...new Set(ci.featureFlags.flatMap((v) => Object.keys(v.env)))].sort();
  const include = ci.featureFlags.map((v) => ({
    variant: v.name,
    ...(keys.length ? { flags: Object.fromEntries(keys.map((k) => [k, v.env[k] ?? ""])) } : {}),
  }));
  return { include, keys };
}

function containerJob(ci: CiConfig, c: CiContainerConfig): StepsJob {
  const registry = c.image.split("/")[0];
  const push = onDefaultBranchPush(ci);
  const login = c.registry
    ? { registry, username: c.registry.username, password: `\${{ secrets.${c.registry.passwordSecret} }}` }
    : { registry, username: "${{ github.actor }}", password: "${{ secrets.GITHUB_TOKEN }}" };
  return stepsJob(
    ci,
    `image (${c.name})`,
    ["e2e"],
    [
      checkout(),
      { name: "Set up Docker Buildx", uses: PINNED_ACTIONS["setup-buildx"] },
      { name: "Log in to the registry", if: push, uses: PINNED_ACTIONS["docker-login"], with: login },
      {
        name: "Build (and on the default branch push)",
        id: "build",
        uses: PINNED_ACTIONS["build-push"],
        with: {
          context: c.context,
          file: c.dockerfile,
          ...(c.target ? { target: c.target } : {}),
          push: `\${{ ${push} }}`,
          tags: `${c.image}:\${{ github.sha }}`,
          "cache-from": `type=gha,scope=${c.name}`,
          "cache-to": `type=gha,mode=max,scope=${c.name}`,
        },
      },
    ],
    {
      permissions: { contents: "read", packages: "write" },
      // The pushed manifest's digest: the deploy hands `<image>@<digest>` to pulumi up.
      outputs: { digest: "${{ steps.build.outputs.digest }}" },
      // The build context is relative to the repository root, not the fleetgate project.
      workingDirectory: undefined,
    },
  );
}

/** Services each container build runs as (ci.containers[].services, default its own name). */
function servicesOf(c: CiContainerConfig): string[] {
  return c.services ?? [c.name];
}

/**
 * The release input of a deploy that takes this run's builds: service → `<image>@<digest>`, as
 * the JSON string pulumi-up.yml sets as `fleetgate:releaseImages` (docs/release.md).
 */
export function releaseImagesExpression(ci: CiConfig): string {
  const entries = ci.containers.flatMap((c) =>
    servicesOf(c).map((svc) => `"${svc}":"${c.image}@\${{ needs.image-${c.name}.outputs.digest }}"`),
  );
  return `{${entries.join(",")}}`;
}

function extraJob(ci: CiConfig, job: CiJobConfig): StepsJob {
  const steps: Step[] = job.steps.map((s) => {
    if ("run" in s) return { name: s.name, run: s.run, ...(Object.keys(s.env).length ? { env: s.env } : {}) };
    const table = (PINNED_ACTION_NAMES as string[]).includes(s.uses)
      ? PINNED_ACTIONS[s.uses as PinnedActionName]
      : undefined;
    const [repo, sha] = s.uses.split("@");
    const uses = table ?? { repo, sha, version: s.version ?? "unversioned" };
    return { name: s.name, uses, ...(Object.keys(s.with).length ? { with: s.with } : {}) };
  });
  return stepsJob(ci, job.name ?? job.id, job.needs, [...(job.setup ? projectSetup(ci) : []), ...steps], {
    permissions: job.permissions,
  });
}

/** Job ids deploys wait for: the e2e smoke, every image and every extra gate job. */
function gateJobIds(ci: CiConfig): string[] {
  return ["e2e", ...ci.containers.map((c) => `image-${c.name}`), ...ci.jobs.map((j) => j.id)];
}

export function ciWorkflow(ci: CiConfig): Workflow {
  const matrix = testMatrix(ci);
  const jobs: Record<string, Job> = {
    lint: stepsJob(ci, "lint", [], [...projectSetup(ci), { name: "Lint", run: ci.commands.lint }]),
    test: stepsJob(
      ci,
      "test (${{ matrix.variant }})",
      [],
      [...projectSetup(ci), { name: "Test", run: ci.commands.test }],
      {
        strategy: { failFast: false, matrix: { include: matrix.include } },
        ...(matrix.keys.length
          ? { env: Object.fromEntries(matrix.keys.map((k) => [k, `\${{ matrix.flags.${k} }}`])) }
          : {}),
      },
    ),
    build: stepsJob(
      ci,
      "build",
      ["lint", "test"],
      [...projectSetup(ci), { name: "Build", run: ci.commands.build }],
    ),
    e2e: stepsJob(
      ci,
      "e2e smoke",
      ["build"],
      [...projectSetup(ci), { name: "End-to-end smoke", run: ci.commands.e2e }],
    ),
  };
  for (const c of ci.containers) jobs[`image-${c.name}`] = containerJob(ci, c);
  for (const j of ci.jobs) jobs[j.id] = extraJob(ci, j);

  let previous: string | undefined;
  const imageJobs = ci.containers.map((c) => `image-${c.name}`);
  for (const env of ci.environments) {
    const takesBuild = env.release === "build" && ci.containers.length > 0;
    const needs = previous ? [previous] : gateJobIds(ci);
    const deploy: CallJob = {
      name: `deploy (${env.name})`,
      // `needs.<job>.outputs` reads only direct needs: a build deploy needs the image jobs.
      needs: takesBuild ? [...needs, ...imageJobs.filter((j) => !needs.includes(j))] : needs,
      if: onDefaultBranchPush(ci),
      // A calling job's permissions cap the called workflow's (OIDC needs id-token there).
      permissions: { ...READ, ...oidcPermission(ci) },
      uses: `./${WORKFLOW_DIR}/${PULUMI_UP_FILE}`,
      with: {
        environment: env.name,
        ...(takesBuild ? { "release-images": releaseImagesExpression(ci) } : {}),
      },
      ...repositorySecretsForCall(ci),
    };
    previous = `deploy-${env.name}`;
    jobs[previous] = deploy;
  }

  return {
    file: CI_FILE,
    name: "ci",
    on: { push: { branches: [ci.defaultBranch] }, pull_request: { branches: [ci.defaultBranch] } },
    permissions: {},
    // A newer commit of the same PR supersedes the running one; pushes to main queue instead.
    concurrency: {
      group: "ci-${{ github.ref }}",
      cancelInProgress: "${{ github.event_name == 'pull_request' }}",
    },
    jobs,
  };
}

/** Status checks the default branch requires: every gate job of ci.yml plus configured extras. */
export function requiredChecks(ci: CiConfig): string[] {
  return [
    "lint",
    ...ci.featureFlags.map((v) => `test (${v.name})`),
    "build",
    "e2e smoke",
    ...ci.containers.map((c) => `image (${c.name})`),
    ...ci.jobs.map((j) => j.name ?? j.id),
    ...ci.requiredChecks,
  ].filter((c, i, all) => all.indexOf(c) === i);
}
