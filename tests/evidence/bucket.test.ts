/**
 * The evidence bucket under Pulumi mocks: private, encrypted, versioned; Object Lock on prod
 * (governance, 90 days unless configured), none on dev unless asked.
 */
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { EvidenceBucket } from "../../components/evidence";

interface Registered {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
}
let registered: Registered[] = [];

async function build(args: ConstructorParameters<typeof EvidenceBucket>[1]): Promise<EvidenceBucket> {
  registered = [];
  const b = new EvidenceBucket("ev", args);
  await new Promise((resolve) => b.arn.apply(resolve));
  for (let i = 0, last = -1; i < 100 && registered.length !== last; i++) {
    last = registered.length;
    await new Promise((r) => setTimeout(r, 30));
  }
  return b;
}
const ofType = (t: string) => registered.filter((r) => r.type === t).map((r) => r.inputs);

describe("evidence: the S3 evidence bucket (mocks)", function () {
  this.timeout(30_000);
  before(() => {
    pulumi.runtime.setMocks(
      {
        newResource: (args) => {
          registered.push({ type: args.type, name: args.name, inputs: args.inputs });
          return {
            id: `${args.name}-id`,
            state: { ...args.inputs, arn: `arn:aws:s3:::${args.inputs.bucket}` },
          };
        },
        call: (args) => args.inputs,
      },
      "fleetgate",
      "prod",
      false,
    );
  });

  it("prod: versioned, private, encrypted, with Object Lock in governance mode for 90 days", async () => {
    const b = await build({ bucket: "acme-evidence", environment: "prod", region: "eu-west-1" });
    assert.strictEqual(b.lockDays, 90);
    const [bucket] = ofType("aws:s3/bucket:Bucket");
    assert.strictEqual(bucket.bucket, "acme-evidence");
    assert.strictEqual(bucket.objectLockEnabled, true);
    assert.strictEqual(bucket.region, "eu-west-1");
    assert.deepStrictEqual(ofType("aws:s3/bucketVersioning:BucketVersioning")[0].versioningConfiguration, {
      status: "Enabled",
    });
    const pab = ofType("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")[0];
    for (const k of ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"])
      assert.strictEqual(pab[k], true, k);
    assert.deepStrictEqual(
      ofType("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")[0]
        .rules,
      [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }],
    );
    assert.deepStrictEqual(
      ofType("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration")[0].rule,
      {
        defaultRetention: { mode: "GOVERNANCE", days: 90 },
      },
    );
  });

  it("dev: versioned without Object Lock unless objectLockDays is set", async () => {
    await build({ bucket: "acme-evidence-dev", environment: "dev" });
    assert.strictEqual(ofType("aws:s3/bucket:Bucket")[0].objectLockEnabled, false);
    assert.strictEqual(
      ofType("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration").length,
      0,
    );
    assert.strictEqual(ofType("aws:s3/bucketVersioning:BucketVersioning").length, 1);
    const b = await build({ bucket: "acme-evidence-dev", environment: "dev", objectLockDays: 7 });
    assert.strictEqual(b.lockDays, 7);
    assert.deepStrictEqual(
      ofType("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration")[0].rule,
      {
        defaultRetention: { mode: "GOVERNANCE", days: 7 },
      },
    );
  });

  it("names the field of a bad bucket name", () => {
    assert.throws(
      () => new EvidenceBucket("bad", { bucket: "Bad_Name", environment: "dev" }),
      /gates\.ledger\.s3\.bucket/,
    );
  });
});
