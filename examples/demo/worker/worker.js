// The demo worker: applies the SQL migrations to a DuckDB database, then processes queued
// jobs on a timer. It opens the database for each tick and closes it right after, so the
// integrity gate (which opens the file read-only) is never locked out for long.
"use strict";
const fs = require("fs");
const path = require("path");
const crypto = require("crypto");
const { DuckDBInstance } = require("@duckdb/node-api");
const { requireEnv, sendJson, readBody, serve } = require("../lib/service");

const databasePath = path.resolve(requireEnv("DATABASE_PATH"));
const migrationsDir = path.resolve(process.env.MIGRATIONS_DIR || path.join(__dirname, "..", "migrations"));
const tickMs = Number(process.env.TICK_MS || 2000);
const state = { migrations: 0, processed: 0, pending: [], lastError: "" };

/** Runs `fn(connection)` on a freshly opened database, closing it whatever happens. */
async function withDatabase(fn) {
  const instance = await DuckDBInstance.create(databasePath);
  const conn = await instance.connect();
  try {
    return await fn(conn);
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

/** Applies every migration not yet recorded, in file-name order, each in its own transaction. */
async function migrate() {
  fs.mkdirSync(path.dirname(databasePath), { recursive: true });
  const files = fs
    .readdirSync(migrationsDir)
    .filter((f) => /^\d+_[\w-]+\.sql$/.test(f))
    .sort();
  await withDatabase(async (db) => {
    await db.run(
      "CREATE TABLE IF NOT EXISTS schema_migrations (version VARCHAR PRIMARY KEY, applied_at TIMESTAMP NOT NULL DEFAULT current_timestamp)",
    );
    const done = new Set(
      (await db.runAndReadAll("SELECT version FROM schema_migrations")).getRowObjects().map((r) => r.version),
    );
    for (const file of files) {
      if (done.has(file)) continue;
      await db.run("BEGIN TRANSACTION");
      try {
        await db.run(fs.readFileSync(path.join(migrationsDir, file), "utf8"));
        await db.run("INSERT INTO schema_migrations (version) VALUES ($1)", [file]);
        await db.run("COMMIT");
        console.log(`applied migration ${file}`);
      } catch (err) {
        await db.run("ROLLBACK");
        throw new Error(`migration ${file} failed: ${err.message}`);
      }
    }
  });
  state.migrations = files.length;
}

/** One tick: store jobs received since the last tick, then process up to 20 queued jobs. */
async function tick() {
  const incoming = state.pending.splice(0);
  try {
    await withDatabase(async (db) => {
      for (const job of incoming) {
        await db.run("INSERT INTO jobs (kind, payload) VALUES ($1, $2)", [job.kind, job.payload]);
      }
      const queued = (
        await db.runAndReadAll(
          "SELECT id, kind, payload FROM jobs WHERE status = 'queued' ORDER BY id LIMIT 20",
        )
      ).getRowObjects();
      for (const job of queued) {
        const result = crypto.createHash("sha256").update(`${job.kind}:${job.payload}`).digest("hex");
        await db.run(
          "UPDATE jobs SET status = 'done', result = $1, processed_at = current_timestamp WHERE id = $2",
          [result, job.id],
        );
        state.processed++;
      }
    });
    state.lastError = "";
  } catch (err) {
    // Most often the integrity gate holds the file for a moment: keep the jobs for the next tick.
    state.pending.unshift(...incoming);
    state.lastError = err.message;
  }
}

async function main() {
  await migrate();
  let running = false;
  setInterval(async () => {
    if (running) return;
    running = true;
    await tick();
    running = false;
  }, tickMs);
  serve("worker", async (req, res, { url }) => {
    if (url.pathname === "/health") {
      return sendJson(res, 200, {
        status: "ok",
        service: "worker",
        migrations: state.migrations,
        processed: state.processed,
        pending: state.pending.length,
        lastError: state.lastError,
      });
    }
    if (url.pathname === "/jobs" && req.method === "POST") {
      const job = JSON.parse((await readBody(req)) || "{}");
      if (typeof job.kind !== "string" || typeof job.payload !== "string") {
        return sendJson(res, 400, { error: "a job needs a string kind and a string payload" });
      }
      state.pending.push({ kind: job.kind, payload: job.payload });
      return sendJson(res, 202, { queued: true, pending: state.pending.length });
    }
    sendJson(res, 404, { error: `no route for ${url.pathname}` });
  });
}

main().catch((err) => {
  console.error(err.message);
  process.exit(1);
});
