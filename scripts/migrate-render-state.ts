/**
 * One-time upgrade of a stack written by fleetgate's dynamic Render providers
 * (`pulumi-nodejs:dynamic/render:*`) to the fleetgate provider plugin (`fleetgate:render:*`).
 *
 * Aliases cannot move a resource to another provider, so the state is rewritten instead:
 * - Service, Deploy and Scale resources get the plugin's type (in `type` and in the URNs of the
 *   resource and of everything that names it) and the plugin's default provider; the serialized
 *   dynamic provider (`__provider`) is dropped. Ids stay, so nothing is recreated.
 * - Old `EnvVarSet` resources are removed from the state (Render is not touched): their `delete`
 *   would remove the keys of every service of the set; the per-service `EnvVars` of the next `up`
 *   take the keys over (every key already on a service stays).
 * Names change by the program's `aliases` on the next `up` (`api` → `render-api`).
 *
 * Usage (with the stack's backend and passphrase in the environment, `pulumi` on PATH):
 *   npx ts-node --transpile-only scripts/migrate-render-state.ts --stack <stack> [--dry-run]
 * Prints what it changes. Run `pulumi preview --diff` afterwards: it must show no replace.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { LEGACY_RENDER_ENV_SET, LEGACY_TO_PLUGIN, PACKAGE } from "../provider/resourceTypes";

interface StateResource {
  urn: string;
  type: string;
  custom?: boolean;
  id?: string;
  parent?: string;
  provider?: string;
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
  dependencies?: string[];
  propertyDependencies?: Record<string, string[]>;
  [k: string]: unknown;
}

export interface Deployment {
  resources?: StateResource[];
  [k: string]: unknown;
}

export interface MigrationReport {
  retyped: string[];
  removed: string[];
  providerAdded?: string;
}

/** Replaces every legacy type segment in a URN (its own type and its parents' chain). */
function migrateUrn(urn: string): string {
  let out = urn;
  for (const [legacy, next] of Object.entries(LEGACY_TO_PLUGIN)) out = out.split(legacy).join(next);
  return out;
}

function stripProvider(props: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!props) return props;
  const { __provider: _p, ...rest } = props;
  void _p;
  return rest;
}

/** The plugin's default provider reference for this stack (URN::id). */
function defaultProviderUrn(stack: string, project: string): string {
  return `urn:pulumi:${stack}::${project}::pulumi:providers:${PACKAGE}::default`;
}

/**
 * Rewrites a deployment (the `deployment` of `pulumi stack export`) in place of a copy; pure, so
 * the test checks it directly. `stack` and `project` build the plugin's provider URN.
 */
export function migrateRenderState(
  deployment: Deployment,
  stack: string,
  project: string,
): { deployment: Deployment; report: MigrationReport } {
  const report: MigrationReport = { retyped: [], removed: [] };
  const resources = deployment.resources ?? [];
  const removed = new Set(resources.filter((r) => r.type === LEGACY_RENDER_ENV_SET).map((r) => r.urn));
  report.removed = [...removed];
  const providerUrn = defaultProviderUrn(stack, project);
  let provider = resources.find((r) => r.urn === providerUrn);
  const out: StateResource[] = [];
  const needsProvider = resources.some((r) => LEGACY_TO_PLUGIN[r.type]);
  if (needsProvider && !provider) {
    provider = {
      urn: providerUrn,
      custom: true,
      id: cryptoId(),
      type: `pulumi:providers:${PACKAGE}`,
      inputs: {},
      outputs: {},
    };
    report.providerAdded = providerUrn;
  }
  const dropRemoved = (urns?: string[]) => urns?.filter((u) => !removed.has(u)).map(migrateUrn);
  for (const r of resources) {
    if (removed.has(r.urn)) continue;
    const next: StateResource = {
      ...r,
      urn: migrateUrn(r.urn),
      parent: r.parent ? migrateUrn(r.parent) : r.parent,
      dependencies: dropRemoved(r.dependencies),
      propertyDependencies: r.propertyDependencies
        ? Object.fromEntries(
            Object.entries(r.propertyDependencies).map(([k, v]) => [k, dropRemoved(v) ?? []]),
          )
        : r.propertyDependencies,
    };
    const target = LEGACY_TO_PLUGIN[r.type];
    if (target) {
      next.type = target;
      next.provider = `${providerUrn}::${provider!.id}`;
      next.inputs = stripProvider(r.inputs);
      next.outputs = stripProvider(r.outputs);
      report.retyped.push(`${r.urn} -> ${next.urn}`);
    }
    for (const k of ["dependencies", "propertyDependencies", "parent"] as const) {
      if (next[k] === undefined) delete next[k];
    }
    out.push(next);
  }
  if (report.providerAdded) {
    // Providers must precede the resources that use them: put it right after the stack resource.
    const stackIndex = out.findIndex((r) => r.type === "pulumi:pulumi:Stack");
    out.splice(stackIndex + 1, 0, provider!);
  }
  return { deployment: { ...deployment, resources: out }, report };
}

function cryptoId(): string {
  // The engine accepts any unique id for a provider resource; a UUID like its own.
  return require("crypto").randomUUID() as string;
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function main(): void {
  const stack = arg("stack");
  if (!stack) {
    console.error("usage: migrate-render-state.ts --stack <stack> [--dry-run] [--cwd <project dir>]");
    process.exit(2);
  }
  const cwd = arg("cwd") ?? process.cwd();
  const run = (args: string[]) =>
    execFileSync("pulumi", [...args, "--stack", stack, "--non-interactive"], { cwd, encoding: "utf8" });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fleetgate-migrate-"));
  try {
    const exported = path.join(dir, "before.json");
    run(["stack", "export", "--file", exported]);
    const doc = JSON.parse(fs.readFileSync(exported, "utf8")) as { deployment: Deployment };
    const project = /^name:\s*(\S+)/m.exec(fs.readFileSync(path.join(cwd, "Pulumi.yaml"), "utf8"))?.[1];
    if (!project) throw new Error(`no project name in ${path.join(cwd, "Pulumi.yaml")}`);
    const { deployment, report } = migrateRenderState(doc.deployment, stack, project);
    for (const line of report.retyped) console.log(`retype  ${line}`);
    for (const urn of report.removed) console.log(`forget  ${urn} (its keys stay on Render)`);
    if (report.providerAdded) console.log(`add     ${report.providerAdded}`);
    if (report.retyped.length === 0 && report.removed.length === 0) {
      console.log("nothing to migrate: no dynamic Render resources in this stack");
      return;
    }
    if (process.argv.includes("--dry-run")) return;
    const migrated = path.join(dir, "after.json");
    fs.writeFileSync(migrated, JSON.stringify({ ...doc, deployment }, null, 2));
    run(["stack", "import", "--file", migrated]);
    console.log(`migrated stack ${stack}; now run \`pulumi preview --diff\` (no replace expected)`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) main();
