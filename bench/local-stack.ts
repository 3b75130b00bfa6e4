/**
 * Wall time of the local demo stack through the real engine: `up` from scratch, a no-change
 * `up`, and `preview`, printed with the engine's version. Runs on a throwaway copy of the
 * local stack (free ports, temp state dir), so a running `local` demo is not disturbed.
 * Usage: npx ts-node --transpile-only bench/local-stack.ts
 */
import { engineEnv, runPulumi, REPO_ROOT, tempDir } from "../tests/support/engine";
import { demoStack } from "../tests/local/support";

function timed(label: string, run: () => { code: number; output: string }): number {
  const started = process.hrtime.bigint();
  const r = run();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (r.code !== 0) throw new Error(`${label} failed:\n${r.output}`);
  return seconds;
}

async function main() {
  const dir = tempDir("bench-local");
  const version = runPulumi(["version"], { cwd: REPO_ROOT, env: engineEnv(dir) }).output.trim();
  const s = await demoStack("bench", dir);
  const figures: [string, number][] = [];
  try {
    figures.push(["up (from scratch)", timed("up", () => s.up())]);
    figures.push(["up (no change)", timed("up", () => s.up())]);
    figures.push(["preview", timed("preview", () => s.pulumi(["preview", "--stack", s.stack]))]);
  } finally {
    s.destroy();
  }
  console.log(`pulumi ${version}, node ${process.version}, local demo stack (4 services, gates on)`);
  for (const [label, seconds] of figures) console.log(`  ${label.padEnd(20)} ${seconds.toFixed(1)} s`);
}

main().catch((err) => {
  console.error(err.message);
  process.exit(1);
});
