/**
 * Integrity snapshot time on a PostgreSQL database with 200 tables, 5 of them critical with
 * 1M rows each (a real server started in a temp dir, like the tests). Prints the setup time,
 * the snapshot time (median of 3) and the counts it found.
 *
 *   npx ts-node --transpile-only bench/integrity-snapshot.ts
 */
import { snapshotPostgres } from "../providers/checks/db/postgres";
import { startPostgres } from "../tests/support/postgres";

const TABLES = 200;
const CRITICAL = 5;
const ROWS = 1_000_000;

const ms = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;

async function main() {
  const pg = await startPostgres();
  try {
    const url = await pg.createDatabase("bench");
    let t = process.hrtime.bigint();
    const ddl = Array.from(
      { length: TABLES },
      (_, i) => `create table t${i} (id bigint primary key, payload text);`,
    );
    await pg.query(ddl.join("\n"), "bench");
    for (let i = 0; i < CRITICAL; i++) {
      await pg.query(
        `insert into t${i} select g, md5(g::text) from generate_series(1, ${ROWS}) g; analyze t${i};`,
        "bench",
      );
    }
    console.log(`setup: ${TABLES} tables, ${CRITICAL} × ${ROWS} rows in ${(ms(t) / 1000).toFixed(1)} s`);

    const critical = Array.from({ length: CRITICAL }, (_, i) => `public.t${i}`);
    const times: number[] = [];
    let last;
    for (let run = 0; run < 3; run++) {
      t = process.hrtime.bigint();
      last = await snapshotPostgres(url, critical);
      times.push(ms(t));
    }
    times.sort((a, b) => a - b);
    console.log(`tables found:     ${last!.tables.length}`);
    console.log(`critical counts:  ${Object.values(last!.rowCounts).join(", ")}`);
    console.log(
      `snapshot time:    median ${times[1].toFixed(0)} ms (runs: ${times.map((x) => x.toFixed(0)).join(", ")} ms)`,
    );
  } finally {
    await pg.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
