/**
 * Smoke-suite concurrency: 20 checks against endpoints that each take 1 s should finish in
 * about 1 s (all at once), not 20 s. Prints the wall time and its ratio to the slowest check.
 *
 *   npx ts-node --transpile-only bench/smoke-concurrency.ts
 */
import { formatResultTable, runChecks } from "../lib/checks/run";
import type { ResolvedCheck } from "../lib/checks/types";
import { startHttpFixtures } from "../tests/support/http-fixtures";

const CHECKS = 20;
const DELAY_MS = 1000;

async function main() {
  const fx = await startHttpFixtures();
  try {
    const checks = Array.from(
      { length: CHECKS },
      (_, i) =>
        ({
          name: `slow-${i}`,
          kind: "http",
          target: "fixture",
          path: `/slow?ms=${DELAY_MS}`,
          url: `${fx.url}/slow?ms=${DELAY_MS}`,
          timeoutMs: 5000,
          expectStatus: 200,
        }) as ResolvedCheck,
    );
    // The first run pays for loading undici and warming up the JIT; the second shows steady state.
    for (const run of ["cold (first run in the process)", "warm"]) {
      const started = process.hrtime.bigint();
      const results = await runChecks(checks, { retries: 1 });
      const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
      const slowest = Math.max(...results.map((r) => r.latencyMs));
      const failed = results.filter((r) => r.status === "fail");
      if (failed.length) console.log(formatResultTable(failed));
      console.log(`${run}:`);
      console.log(
        `  checks:               ${CHECKS} × ${DELAY_MS} ms endpoints, ${CHECKS - failed.length} passed`,
      );
      console.log(
        `  wall time:            ${wallMs.toFixed(0)} ms (sequential would be ~${CHECKS * DELAY_MS} ms)`,
      );
      console.log(`  slowest check:        ${slowest} ms`);
      console.log(`  wall / slowest check: ${(wallMs / slowest).toFixed(2)}`);
    }
  } finally {
    await fx.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
