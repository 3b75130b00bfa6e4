// Creates the demo's DuckDB database, empty, when it does not exist yet. up-local.sh runs it
// before the first `pulumi up`: the integrity gate snapshots the database before the deploy
// (and refuses a missing one); the worker's deploy then applies the migrations.
"use strict";
const fs = require("fs");
const path = require("path");
const { DuckDBInstance } = require("@duckdb/node-api");

async function main() {
  const file = process.argv[2];
  if (!file) {
    console.error("usage: node examples/demo/worker/init-db.js <database file>");
    process.exit(2);
  }
  if (fs.existsSync(file)) return;
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const instance = await DuckDBInstance.create(file);
  instance.closeSync();
  console.log(`created empty database ${file}`);
}

main().catch((err) => {
  console.error(`cannot create the demo database: ${err.message}`);
  process.exit(1);
});
