/**
 * Backups with an S3 ledger: the pre-deploy pg_dump of a real PostgreSQL server goes to the
 * bucket (moto_server on loopback) beside the stack's records; an upload that fails stops the
 * deploy like a failed dump.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { HeadObjectCommand } from "@aws-sdk/client-s3";
import { readS3Records } from "../../lib/ledger/s3";
import { takeBackup } from "../../providers/backup/backup";
import { tempDir } from "../support/engine";
import { startPostgres, TestPostgres } from "../support/postgres";
import { Moto, startMoto } from "./moto";

const BUCKET = "fleetgate-backups";

describe("evidence: backups go to the S3 ledger's bucket", function () {
  this.timeout(120_000);
  let moto: Moto;
  let pg: TestPostgres;
  let dbUrl: string;
  let dir: string;
  const evidence = (bucket: string) => ({
    file: path.join(dir, "ledger.jsonl"),
    stack: "prod",
    fleet: "f",
    environment: "prod",
    revision: "abc",
    images: { api: "x:1" },
    webhooks: [],
    notifyTimeoutMs: 1000,
    s3: { bucket, prefix: "fleetgate/ledger/", endpoint: moto.endpoint },
  });

  before(async () => {
    moto = await startMoto();
    await moto.createBucket(BUCKET);
    pg = await startPostgres();
    dbUrl = await pg.createDatabase("shop");
    await pg.query("CREATE TABLE users (id int primary key); INSERT INTO users VALUES (1), (2)", "shop");
    dir = tempDir("backup-s3");
  });
  after(async () => {
    await pg?.stop();
    await moto?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("uploads the dump beside the records; the record reader skips it", async () => {
    const out = await takeBackup({
      engine: "postgres",
      connection: dbUrl,
      directory: path.join(dir, "dumps"),
      stack: "prod",
      revision: "abc",
      timeoutSeconds: 60,
      keep: 3,
      evidence: evidence(BUCKET),
    });
    const key = `fleetgate/ledger/prod/backups/${path.basename(out.path)}`;
    assert.strictEqual((out as { s3?: string }).s3, `s3://${BUCKET}/${key}`);
    const head = await moto.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
    assert.strictEqual(head.ContentLength, out.sizeBytes);
    assert.deepStrictEqual(await readS3Records(evidence(BUCKET).s3, "prod"), { records: [], skipped: 0 });
  });

  it("a bucket that refuses the upload fails the backup (nothing is deployed)", async () => {
    await assert.rejects(
      takeBackup({
        engine: "postgres",
        connection: dbUrl,
        directory: path.join(dir, "dumps"),
        stack: "prod",
        revision: "def",
        timeoutSeconds: 60,
        keep: 3,
        evidence: evidence("no-such-bucket"),
      }),
      /cannot upload the backup to s3:\/\/no-such-bucket\/fleetgate\/ledger\/prod\/backups\/.*Nothing was deployed/s,
    );
  });
});
