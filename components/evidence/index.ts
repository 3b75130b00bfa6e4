/**
 * The evidence bucket (gates.ledger.s3 with `declareBucket`): where ledger records and monitor
 * runs outlive the CI runners that wrote them. Private, encrypted, versioned (an overwritten or
 * deleted record keeps its old version); on prod, or when `objectLockDays` is set, S3 Object
 * Lock in governance mode keeps every record version for that many days.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/** Object Lock days on prod when the config sets none. */
export const DEFAULT_PROD_LOCK_DAYS = 90;

export interface EvidenceBucketArgs {
  /** Bucket name (gates.ledger.s3.bucket). */
  bucket: string;
  region?: string;
  /** fleet.environment: prod gets Object Lock by default. */
  environment: string;
  /** Days of Object Lock retention (gates.ledger.s3.objectLockDays); undefined: the prod default or none. */
  objectLockDays?: number;
  tags?: Record<string, string>;
}

export class EvidenceBucket extends pulumi.ComponentResource {
  public readonly bucketName: pulumi.Output<string>;
  public readonly arn: pulumi.Output<string>;
  /** Object Lock retention in days (0: none). */
  public readonly lockDays: number;

  constructor(name: string, args: EvidenceBucketArgs, opts?: pulumi.ComponentResourceOptions) {
    super("fleetgate:evidence:EvidenceBucket", name, {}, opts);
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(args.bucket))
      throw new Error(`gates.ledger.s3.bucket: "${args.bucket}" is not an S3 bucket name`);
    this.lockDays = args.objectLockDays ?? (args.environment === "prod" ? DEFAULT_PROD_LOCK_DAYS : 0);
    const region = args.region ? { region: args.region } : {};
    const tags = { ...args.tags, "fleetgate:component": "evidence" };
    const parent = { parent: this };
    const bucket = new aws.s3.Bucket(
      `${name}-bucket`,
      {
        bucket: args.bucket,
        // Object Lock can only be turned on when the bucket is created.
        objectLockEnabled: this.lockDays > 0,
        tags,
        ...region,
      },
      // Evidence is what a destroyed stack must not take with it: destroy leaves the bucket.
      { parent: this, retainOnDelete: true },
    );
    new aws.s3.BucketPublicAccessBlock(
      `${name}-private`,
      {
        bucket: bucket.id,
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
        ...region,
      },
      parent,
    );
    new aws.s3.BucketServerSideEncryptionConfiguration(
      `${name}-encryption`,
      {
        bucket: bucket.id,
        rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }],
        ...region,
      },
      parent,
    );
    const versioning = new aws.s3.BucketVersioning(
      `${name}-versioning`,
      { bucket: bucket.id, versioningConfiguration: { status: "Enabled" }, ...region },
      parent,
    );
    if (this.lockDays > 0) {
      new aws.s3.BucketObjectLockConfiguration(
        `${name}-lock`,
        {
          bucket: bucket.id,
          // Governance: an administrator with s3:BypassGovernanceRetention can still clean up.
          rule: { defaultRetention: { mode: "GOVERNANCE", days: this.lockDays } },
          ...region,
        },
        { parent: this, dependsOn: [versioning] },
      );
    }
    this.bucketName = bucket.bucket;
    this.arn = bucket.arn;
    this.registerOutputs({ bucketName: this.bucketName, arn: this.arn });
  }
}
