/**
 * The integrity gate through the real Pulumi engine: a snapshot before a (simulated) migration
 * and a verify after it. A migration that deletes rows of a critical table fails `pulumi up`
 * with DATA LOSS DETECTED; the connection string's password never reaches the state in plain text.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { IntegritySnapshot, IntegrityVerify } from "../../providers/checks/integrity";
import { engineBinDir, engineEnv, readStateFile, tempDir } from "../support/engine";
import { startPostgres, TestPostgres } from "../support/postgres";

const PASSWORD = "pw-never-in-state-4e1f";

/** Stands in for a deploy's migration: runs SQL on create/update. */
const migrationProvider: pulumi.dynamic.ResourceProvider = {
  async create(inputs) {
    const { Client } = require("pg");
    const client = new Client({ connectionString: inputs.connection });
    await client.connect();
    await client.query(inputs.sql);
    await client.end();
    return { id: "migration", outs: inputs };
  },
  async update(_id, _olds, news) {
    return this.create!(news) as Promise<pulumi.dynamic.UpdateResult>;
  },
};

class Migration extends pulumi.dynamic.Resource {
  constructor(
    name: string,
    props: { connection: pulumi.Input<string>; sql: string },
    opts?: pulumi.CustomResourceOptions,
  ) {
    super(migrationProvider, name, props, opts, "test", "Migration");
  }
}

describe("engine: integrity gate in pulumi up", function () {
  this.timeout(180_000);
  let pg: TestPostgres;
  let dir: string;
  let stack: Stack;
  let revision = "rev-1";
  let sql = "select 1";

  before(async () => {
    if (!(process.env.PATH ?? "").split(path.delimiter).includes(engineBinDir())) {
      process.env.PATH = `${engineBinDir()}${path.delimiter}${process.env.PATH ?? ""}`;
    }
    pg = await startPostgres();
    const plainUrl = await pg.createDatabase("app");
    await pg.query(
      "create table users (id int); insert into users select generate_series(1, 100); create table audit (id int);",
      "app",
    );
    // Trust auth ignores the password; it is there to prove it stays encrypted.
    const url = plainUrl.replace("fleetgate@", `fleetgate:${PASSWORD}@`);
    dir = tempDir("integrity-engine");
    const program = async () => {
      const connection = pulumi.secret(url);
      const snapshot = new IntegritySnapshot("snapshot", {
        engine: "postgres",
        connection,
        criticalTables: ["users"],
        revision,
      });
      const migration = new Migration("migration", { connection, sql }, { dependsOn: [snapshot] });
      const verify = new IntegrityVerify(
        "verify",
        { engine: "postgres", connection, criticalTables: ["users"], revision, before: snapshot.snapshot },
        { dependsOn: [migration] },
      );
      return { counts: verify.after.apply((a) => a.rowCounts) };
    };
    stack = await LocalWorkspace.createOrSelectStack(
      { stackName: "integrity", projectName: "gates-integrity", program },
      { envVars: engineEnv(dir) },
    );
  });

  after(async () => {
    // No destroy: the gates hold nothing outside the state, which goes with the temp dir.
    await pg?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("passes a deploy that keeps the data, and keeps the connection string encrypted", async () => {
    const res = await stack.up();
    assert.strictEqual(res.summary.result, "succeeded");
    assert.deepStrictEqual(res.outputs.counts.value, { "public.users": 100 });
    const state = readStateFile(dir, "gates-integrity", "integrity");
    assert.ok(state.includes("pulumi-nodejs:dynamic/checks:IntegrityVerify"));
    assert.ok(!state.includes(PASSWORD), "the database password appears in plain text in the state");
  });

  it("fails pulumi up with DATA LOSS DETECTED when the deploy deletes critical rows", async () => {
    revision = "rev-2";
    sql = "delete from users where id <= 7";
    await assert.rejects(
      stack.up(),
      (err: Error & { commandResult?: { code: number; stdout: string; stderr: string } }) => {
        const output = `${err.commandResult?.stdout}\n${err.commandResult?.stderr}`;
        assert.notStrictEqual(err.commandResult?.code, 0);
        assert.match(output, /DATA LOSS DETECTED/);
        assert.match(output, /public\.users: 100 → 93 rows \(7 lost\)/);
        assert.ok(!output.includes(PASSWORD));
        return true;
      },
    );
  });
});
