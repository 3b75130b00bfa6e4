/**
 * Steps and env blocks every workflow shares.
 */
import { CiConfig } from "../../../config/ci";
import { pinned } from "../actions";
import { RunStep, Step, UsesStep } from "../model";

export const WORKFLOW_DIR = ".github/workflows";

/** Check out without leaving the token in .git/config (later steps run project code). */
export function checkout(): UsesStep {
  return { name: "Check out", uses: pinned("checkout"), with: { "persist-credentials": false } };
}

export function setupNode(ci: CiConfig): UsesStep {
  return {
    name: "Set up Node.js",
    uses: pinned("setup-node"),
    with: { "node-version": ci.nodeVersion, cache: "npm" },
  };
}

export function install(ci: CiConfig): RunStep {
  return { name: "Install dependencies", run: ci.commands.install };
}

/** Checkout, Node and dependencies: the head of every job that runs project code. */
export function projectSetup(ci: CiConfig): Step[] {
  return [checkout(), setupNode(ci), install(ci)];
}

export type Scope = "environment" | "repository";

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
