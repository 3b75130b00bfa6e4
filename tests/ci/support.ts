/**
 * Shared fixtures of the CI tests: the reference stacks' ci sections and the workflow linters.
 */
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { CiConfig, ciConfig } from "../../config/ci";
import { validateStackConfig } from "../../config/load";
import { StackConfig } from "../../config/schema";
import { readStackFile } from "../../config/stack-file";
import { REPO_ROOT } from "../support/engine";

/** Every `{ secret: <key> }` of a raw config: the tests need the names, never values. */
export function referencedSecrets(value: unknown, into = new Set<string>()): Set<string> {
  if (Array.isArray(value)) value.forEach((v) => referencedSecrets(v, into));
  else if (value && typeof value === "object") {
    const key = (value as { secret?: unknown }).secret;
    if (typeof key === "string") into.add(key);
    else Object.values(value).forEach((v) => referencedSecrets(v, into));
  }
  return into;
}

/** The validated config of a committed stack file (Pulumi.<stack>.yaml). */
export function stackConfigOf(stack: string): StackConfig {
  const { raw } = readStackFile(path.join(REPO_ROOT, `Pulumi.${stack}.yaml`));
  const result = validateStackConfig(raw, { secretKeys: referencedSecrets(raw) });
  if (!result.ok) throw new Error(`Pulumi.${stack}.yaml: ${JSON.stringify(result.issues)}`);
  return result.config;
}

/** A ci section with every feature the emitters have (webhook alert, extra jobs, both scopes). */
export function fullCiConfig(overrides: Record<string, unknown> = {}): CiConfig {
  return ciConfig.parse({
    repository: "acme/refapp",
    featureFlags: [{ name: "default" }, { name: "all-on", env: { FEATURE_A: "on", FEATURE_B: "yes" } }],
    containers: [
      { name: "api", image: "ghcr.io/acme/api" },
      {
        name: "web",
        image: "registry.example.com:5000/acme/web",
        context: "web",
        dockerfile: "web/Dockerfile",
        target: "runtime",
        registry: { username: "ci-bot", passwordSecret: "REGISTRY_PASSWORD" },
      },
    ],
    environments: [
      { name: "dev", release: "build" },
      { name: "staging", stack: "acme/refapp/staging", release: "promote" },
      {
        name: "prod",
        reviewers: { users: ["alice"], teams: ["leads"] },
        waitTimerMinutes: 30,
        release: "promote",
      },
    ],
    jobs: [
      { id: "migrations", needs: ["build"], steps: [{ name: "check", run: "npm run migrate:check" }] },
      {
        id: "audit",
        name: "dependency audit",
        needs: ["lint", "migrations"],
        setup: false,
        steps: [
          { name: "cache", uses: "cache", with: { path: "~/.npm", key: "npm" } },
          {
            name: "third party",
            uses: "acme/audit-action@0123456789abcdef0123456789abcdef01234567",
            version: "v2.1.0",
          },
        ],
      },
    ],
    secrets: [
      { name: "PULUMI_ACCESS_TOKEN", value: { secret: "pulumiAccessToken" }, scope: "read" },
      { name: "RENDER_API_KEY", value: { secret: "renderApiKey" } },
      { name: "REGISTRY_PASSWORD", value: { secret: "registryPassword" }, scope: "repository" },
      { name: "SLACK_WEBHOOK_URL", value: { secret: "slackWebhook" }, scope: "repository" },
    ],
    variables: [
      { name: "PULUMI_BACKEND_URL", value: "https://api.pulumi.com", scope: "repository" },
      { name: "REGION", value: "oregon" },
    ],
    healthMonitor: { alertWebhookSecret: "SLACK_WEBHOOK_URL" },
    ...overrides,
  });
}

/**
 * Infrastructure in a folder of the app repository, Pulumi Cloud OIDC tokens per environment
 * instead of a stored token, and a release handed over by another repository.
 */
export function oidcCiConfig(): CiConfig {
  return ciConfig.parse({
    repository: "acme/infra",
    workingDirectory: "deploy/fleetgate",
    pulumiOidc: { organization: "acme" },
    containers: [{ name: "api", image: "ghcr.io/acme/api", services: ["api", "api-worker"] }],
    environments: [
      { name: "dev", release: "build", oidcTeams: { deploy: "dev-deployers", read: "dev-readers" } },
      {
        name: "prod",
        reviewers: { users: ["alice"] },
        release: "promote",
        oidcTeams: { deploy: "prod-deployers", read: "prod-readers" },
      },
    ],
    releaseDispatch: { environment: "dev" },
    secrets: [{ name: "RENDER_API_KEY", value: { secret: "renderApiKey" } }],
  });
}

let toolsBin: string | undefined;

/** PATH with actionlint and zizmor (installed at pinned versions by scripts/setup-test-tools.sh). */
export function toolsPath(): string {
  toolsBin ??= execFileSync("bash", [path.join(REPO_ROOT, "scripts", "setup-test-tools.sh")], {
    encoding: "utf8",
  })
    .trim()
    .split("\n")
    .pop()!;
  return `${toolsBin}${path.delimiter}${process.env.PATH ?? ""}`;
}

/** Runs a linter over files; returns its exit code and output. */
export function lint(
  tool: "actionlint" | "zizmor",
  args: string[],
  cwd: string,
): { code: number; output: string; stdout: string } {
  const r = spawnSync(tool, args, { cwd, encoding: "utf8", env: { ...process.env, PATH: toolsPath() } });
  if (r.error) throw r.error;
  return { code: r.status ?? 1, output: `${r.stdout}${r.stderr}`, stdout: r.stdout };
}

/** Writes `files` (relative path → text) under `dir`. */
export function writeTree(dir: string, files: Record<string, string>): void {
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  }
}
