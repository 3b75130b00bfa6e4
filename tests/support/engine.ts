/**
 * Helpers for tests that run the real Pulumi engine (CLI v3.220.0 built by scripts/setup-engine.sh).
 *
 * - `engineEnv(dir)`: the environment for an offline engine with a file backend under `dir`.
 * - `inlineStack(...)`: an Automation API stack running an inline program (no language host).
 * - `projectStack(...)`: a `test-*` stack of this very project (index.ts through the language host),
 *   with its config written to a gitignored Pulumi.test-*.yaml.
 */
import { execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export const REPO_ROOT = path.resolve(__dirname, "..", "..");

let engineDir: string | undefined;

let providerBuilt = false;

/** Builds the fleetgate provider plugin (provider/) when a source changed; once per process. */
export function buildProviderPlugin(): void {
  if (providerBuilt) return;
  execFileSync("bash", [path.join(REPO_ROOT, "scripts", "build-provider.sh")], { stdio: "inherit" });
  providerBuilt = true;
}

/** Directory holding `pulumi` and its plugins; builds the engine (and the fleetgate plugin) once. */
export function engineBinDir(): string {
  buildProviderPlugin();
  if (!engineDir) {
    engineDir =
      process.env.FLEETGATE_ENGINE_DIR ??
      execFileSync("bash", [path.join(REPO_ROOT, "scripts", "setup-engine.sh")], { encoding: "utf8" })
        .trim()
        .split("\n")
        .pop()!;
  }
  return engineDir;
}

/** A fresh temp directory removed by the caller (or left for inspection on failure). */
export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `fleetgate-${prefix}-`));
}

export const TEST_PASSPHRASE = "fleetgate-test-passphrase";

/** Environment for an offline engine whose state lives under `stateDir`. */
export function engineEnv(stateDir: string, extra: Record<string, string> = {}): Record<string, string> {
  fs.mkdirSync(path.join(stateDir, "backend"), { recursive: true });
  fs.mkdirSync(path.join(stateDir, "home"), { recursive: true });
  return {
    PATH: `${engineBinDir()}${path.delimiter}${process.env.PATH ?? ""}`,
    PULUMI_BACKEND_URL: `file://${path.join(stateDir, "backend")}`,
    PULUMI_HOME: path.join(stateDir, "home"),
    PULUMI_CONFIG_PASSPHRASE: TEST_PASSPHRASE,
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true",
    // The suite type-checks once (tsc --noEmit); the language host need not do it per run.
    PULUMI_NODEJS_TRANSPILE_ONLY: "true",
    ...extra,
  };
}

/** Runs the engine CLI synchronously; returns stdout+stderr and the exit code (never throws). */
export function runPulumi(
  args: string[],
  opts: { cwd: string; env: Record<string, string>; timeoutMs?: number },
): { code: number; output: string } {
  try {
    const out = execFileSync("pulumi", [...args, "--non-interactive"], {
      cwd: opts.cwd,
      env: { ...process.env, ...opts.env },
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      timeout: opts.timeoutMs ?? 300_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, output: out };
  } catch (e) {
    const err = e as { status?: number; stdout?: string; stderr?: string };
    return { code: err.status ?? 1, output: `${err.stdout ?? ""}${err.stderr ?? ""}` };
  }
}

/**
 * Runs a command without blocking the event loop, so servers in the test's own process (the
 * Render double, HTTP fixtures) can answer while it runs. Never throws; kills it on timeout.
 */
export function runAsync(
  command: string,
  args: string[],
  opts: { cwd: string; env?: Record<string, string>; timeoutMs?: number },
): Promise<{ code: number; output: string; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      cwd: opts.cwd,
      env: { ...process.env, ...opts.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    let output = "";
    child.stdout.on("data", (d: Buffer) => ((stdout += d.toString("utf8")), (output += d.toString("utf8"))));
    child.stderr.on("data", (d: Buffer) => ((stderr += d.toString("utf8")), (output += d.toString("utf8"))));
    const timer = setTimeout(() => child.kill("SIGTERM"), opts.timeoutMs ?? 300_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, output, stdout, stderr });
    });
  });
}

/** `pulumi <args> --non-interactive` without blocking the event loop (see runAsync). */
export function runPulumiAsync(
  args: string[],
  opts: { cwd: string; env: Record<string, string>; timeoutMs?: number },
): Promise<{ code: number; output: string }> {
  return runAsync("pulumi", [...args, "--non-interactive"], opts);
}

/** Reads the stack's checkpoint (the plaintext state file) from a file backend. */
export function readStateFile(stateDir: string, project: string, stack: string): string {
  const file = path.join(stateDir, "backend", ".pulumi", "stacks", project, `${stack}.json`);
  return fs.readFileSync(file, "utf8");
}
