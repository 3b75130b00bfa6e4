/**
 * Steps and env blocks every workflow shares.
 */
import { CiConfig, CiEnvironmentConfig, CiScope } from "../../../config/ci";
import { pinned } from "../actions";
import { RunStep, Step, UsesStep } from "../model";

export const WORKFLOW_DIR = ".github/workflows";

/** Check out without leaving the token in .git/config (later steps run project code). */
export function checkout(): UsesStep {
  return { name: "Check out", uses: pinned("checkout"), with: { "persist-credentials": false } };
}

export function setupNode(ci: CiConfig): UsesStep {
  const lockfile: Record<string, string> =
    ci.workingDirectory === "."
      ? {}
      : { "cache-dependency-path": `${ci.workingDirectory}/package-lock.json` };
  return {
    name: "Set up Node.js",
    uses: pinned("setup-node"),
    with: { "node-version": ci.nodeVersion, cache: "npm", ...lockfile },
  };
}

/** Job fields that make `run:` steps run in the fleetgate project (ci.workingDirectory). */
export function inProject(ci: CiConfig): { workingDirectory?: string } {
  return ci.workingDirectory === "." ? {} : { workingDirectory: ci.workingDirectory };
}

/** `with:` of pulumi/actions for the project directory. */
export function pulumiWorkDir(ci: CiConfig): Record<string, string> {
  return ci.workingDirectory === "." ? {} : { "work-dir": ci.workingDirectory };
}

/** The GitHub environment holding an environment's read credentials (previews, health monitor). */
export function readEnvironmentName(env: CiEnvironmentConfig): string {
  return `${env.name}-read`;
}

/** Does this environment's stack get previewed on pull requests (its read credentials reach them)? */
export function previewsOnPullRequest(env: CiEnvironmentConfig): boolean {
  return env.previewOnPullRequest ?? env.reviewers.users.length + env.reviewers.teams.length === 0;
}

/**
 * With ci.pulumiOidc: the step that exchanges the job's GitHub OIDC token (its `sub` names the
 * job's GitHub environment) for a short-lived token of the environment's Pulumi team.
 */
export function pulumiAuth(ci: CiConfig, env: CiEnvironmentConfig, role: "deploy" | "read"): Step[] {
  if (!ci.pulumiOidc || !env.oidcTeams) return [];
  return [
    {
      name: `Pulumi Cloud token (OIDC, team ${env.oidcTeams[role]})`,
      uses: pinned("pulumi-auth"),
      with: {
        organization: ci.pulumiOidc.organization,
        "requested-token-type": "urn:pulumi:token-type:access_token:team",
        scope: `team:${env.oidcTeams[role]}`,
        "token-expiration": ci.pulumiOidc.tokenExpirationMinutes * 60,
      },
    },
  ];
}

/** Token permission OIDC needs, when configured. */
export function oidcPermission(ci: CiConfig): { "id-token"?: "write" } {
  return ci.pulumiOidc ? { "id-token": "write" } : {};
}

export function install(ci: CiConfig): RunStep {
  return { name: "Install dependencies", run: ci.commands.install };
}

/** Checkout, Node and dependencies: the head of every job that runs project code. */
export function projectSetup(ci: CiConfig): Step[] {
  return [checkout(), setupNode(ci), install(ci)];
}

export type Scope = CiScope;

/** Secrets and variables visible to jobs of the given scopes, as step env. */
export function credentialEnv(ci: CiConfig, scopes: readonly Scope[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const s of ci.secrets) if (scopes.includes(s.scope)) env[s.name] = `\${{ secrets.${s.name} }}`;
  for (const v of ci.variables) if (scopes.includes(v.scope)) env[v.name] = `\${{ vars.${v.name} }}`;
  return env;
}

export function stackOf(env: CiConfig["environments"][number]): string {
  return env.stack ?? env.name;
}

/** A GitHub expression that is true only for a push to the default branch. */
export function onDefaultBranchPush(ci: CiConfig): string {
  return `github.event_name == 'push' && github.ref == 'refs/heads/${ci.defaultBranch}'`;
}
