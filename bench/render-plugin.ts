/**
 * Benchmark: the Render resources as dynamic providers (the last version before the plugin,
 * unpacked from git) versus the fleetgate provider plugin, through the real engine against the
 * Render double:
 * - wall time of the first `pulumi up` of a fleet of N services (default 20, no gates);
 * - state bytes per Render resource, by type, before (dynamic) and after (plugin);
 * - next to it, an inline program with N×(Render resources per service) trivial dynamic resources
 *   (what any dynamic provider costs the engine, whatever it does).
 *
 *   npx ts-node --transpile-only bench/render-plugin.ts [--services 20]
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { engineEnv, readStateFile, REPO_ROOT, runPulumiAsync, tempDir } from "../tests/support/engine";
import { RenderDouble } from "../tests/support/render-double";

const KEY = "rnd_bench_plugin";
const DYNAMIC_PROVIDER_COMMIT = "2b8ea9717b03dc5f5a1bbf159b6c1f5c9a5fa397";

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

interface StateResource {
  type: string;
}

/** Bytes of each resource's JSON in the checkpoint, averaged per type (Render types only). */
function bytesPerType(
  state: string,
  keep: (type: string) => boolean = (t) => /render:/.test(t) && !/Platform$/.test(t),
): Record<string, { count: number; avgBytes: number }> {
  const resources = JSON.parse(state).checkpoint.latest.resources as StateResource[];
  const out: Record<string, { count: number; total: number }> = {};
  for (const r of resources.filter((x) => keep(x.type))) {
    const e = (out[r.type] ??= { count: 0, total: 0 });
    e.count++;
    e.total += Buffer.byteLength(JSON.stringify(r));
  }
  return Object.fromEntries(
    Object.entries(out).map(([t, e]) => [t, { count: e.count, avgBytes: Math.round(e.total / e.count) }]),
  );
}

async function main() {
  const n = arg("services", 20);
  const render = await RenderDouble.start({ apiKey: KEY, deployPhaseMs: 10 });
  const dir = tempDir("bench-plugin");
  const env = { ...engineEnv(dir), RENDER_API_KEY: KEY };
  const oldDir = tempDir("bench-dynamic-version");
  const stackFiles: string[] = [];
  try {
    execFileSync("bash", ["-c", `git archive ${DYNAMIC_PROVIDER_COMMIT} | tar -x -C "${oldDir}"`], {
      cwd: REPO_ROOT,
    });
    fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(oldDir, "node_modules"));

    const upFleet = async (label: string, cwd: string) => {
      const stack = `bench-${label}-${process.pid}`;
      const names = Array.from({ length: n }, (_, i) => `${label}-${i}`);
      const file = path.join(cwd, `Pulumi.${stack}.yaml`);
      stackFiles.push(file);
      fs.writeFileSync(
        file,
        YAML.stringify({
          config: {
            "fleetgate:platform": { kind: "render", baseUrl: render.url, ownerId: "tea-bench" },
            "fleetgate:fleet": {
              name: label,
              environment: "dev",
              services: names.map((name, i) => ({
                name,
                type: i % 4 === 0 ? "web" : "worker",
                image: "ghcr.io/bench/api:1.0.0",
                ...(i % 4 === 0 ? { healthCheckPath: "/health" } : {}),
              })),
              envSets: [
                { name: "shared", services: names, vars: { NODE_ENV: "production", LOG_LEVEL: "info" } },
              ],
            },
          },
        }),
      );
      const run = (args: string[]) =>
        runPulumiAsync([...args, "--stack", stack], { cwd, env, timeoutMs: 900_000 });
      const init = await run(["stack", "init"]);
      if (init.code !== 0) throw new Error(init.output);
      const started = Date.now();
      const up = await run(["up", "--yes", "--skip-preview"]);
      const ms = Date.now() - started;
      if (up.code !== 0) throw new Error(`${label} up failed:\n${up.output.slice(-3000)}`);
      const bytes = bytesPerType(readStateFile(dir, "fleetgate", stack));
      return { ms, bytes };
    };

    const before = await upFleet("dyn", oldDir);
    const after = await upFleet("plugin", REPO_ROOT);
    const perService = Object.values(after.bytes).reduce((a, e) => a + e.count, 0) / n;

    // Raw dynamic resources: an inline program, as many as the plugin fleet's Render resources.
    const raw = Math.round(perService * n);
    const rawDir = tempDir("bench-raw");
    fs.writeFileSync(
      path.join(rawDir, "Pulumi.yaml"),
      "name: rawdyn\nruntime:\n  name: nodejs\n  options:\n    typescript: false\n",
    );
    fs.writeFileSync(
      path.join(rawDir, "index.js"),
      `const pulumi = require("@pulumi/pulumi");
const provider = { async create(inputs) { return { id: inputs.name, outs: inputs }; } };
class Raw extends pulumi.dynamic.Resource { constructor(name) { super(provider, name, { name }, {}); } }
for (let i = 0; i < ${raw}; i++) new Raw("raw-" + i);
`,
    );
    fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(rawDir, "node_modules"));
    const rawRun = (args: string[]) =>
      runPulumiAsync([...args, "--stack", "raw"], { cwd: rawDir, env, timeoutMs: 900_000 });
    await rawRun(["stack", "init"]);
    const rawStart = Date.now();
    const rawUp = await rawRun(["up", "--yes", "--skip-preview"]);
    const rawMs = Date.now() - rawStart;
    if (rawUp.code !== 0) throw new Error(rawUp.output.slice(-2000));
    const rawBytes = bytesPerType(
      readStateFile(dir, "rawdyn", "raw"),
      (t) => t === "pulumi-nodejs:dynamic:Resource",
    );
    await rawRun(["stack", "rm", "--force", "--yes"]);
    fs.rmSync(rawDir, { recursive: true, force: true });

    console.log(`first \`pulumi up\` of a ${n}-service fleet against the Render double (no gates)`);
    console.log(`  dynamic providers : ${before.ms} ms`);
    console.log(`  provider plugin   : ${after.ms} ms (${(after.ms / before.ms).toFixed(2)}x)`);
    console.log(`  ${raw} trivial dynamic resources (inline program): ${rawMs} ms`);
    console.log("state bytes per resource (average JSON of the checkpoint entry)");
    const row = (t: string, e: { count: number; avgBytes: number }) =>
      console.log(`  ${t.padEnd(42)} ${String(e.count).padStart(5)} ${String(e.avgBytes).padStart(8)}`);
    console.log(`  ${"type".padEnd(42)} ${"count".padStart(5)} ${"bytes".padStart(8)}`);
    for (const [t, e] of Object.entries(before.bytes)) row(t, e);
    for (const [t, e] of Object.entries(after.bytes)) row(t, e);
    for (const e of Object.values(rawBytes)) row("trivial dynamic resource", e);
  } finally {
    for (const f of stackFiles) fs.rmSync(f, { force: true });
    await render.close();
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(oldDir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
