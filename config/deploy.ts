/**
 * Deploy features of issue 10 (docs/deploy-features.md): the backup gate, the post-deploy
 * watch, the evidence ledger with its notifications, and the error-budget freeze. Each is a
 * field of `gates` in the stack config; every one is optional and off unless declared.
 */
import { z } from "zod";
import { durationMs, durationSeconds, percent, plainOrSecret, resourceName } from "./primitives";

/**
 * Restore drill (docs/restore-drills.md): the dump is restored into a scratch database and
 * compared with the source, before the deploy (`onDeploy`) and on a schedule of its own.
 */
export const restoreDrillConfig = z.strictObject({
  /**
   * A postgres:// URI on the server that holds the scratch database (its user needs CREATEDB),
   * normally a secret reference. Default: the backup's server, database `postgres`.
   */
  scratchServer: plainOrSecret.optional(),
  /** Restore every dump the backup gate takes before the deploy goes on. */
  onDeploy: z.boolean().default(true),
  /** Cron expression (UTC) of the scheduled drill that `scripts/restore-drill.ts` runs. */
  schedule: z.string().min(1, 'must be a cron expression such as "0 4 * * 0"').optional(),
  /** Scheduled drill: dumps older than this are removed after a drill that restored. */
  maxAgeDays: z
    .number()
    .int()
    .min(1, "must be at least 1 day")
    .max(3650, "must be at most 3650 days")
    .optional(),
  /** Rows a critical table of the restore may lack against the (still written) source, in percent. */
  rowTolerancePercent: percent.default(0),
});
export type RestoreDrillConfig = z.infer<typeof restoreDrillConfig>;

/**
 * Backup gate: `pg_dump -Fc` of the database before any deploy that touches it. The update
 * fails when the dump fails, so a deploy never runs without a fresh backup.
 */
export const backupConfig = z.strictObject({
  engine: z
    .literal("postgres", { error: 'must be "postgres" (the only engine the backup gate dumps)' })
    .default("postgres"),
  /**
   * PostgreSQL connection string, normally a secret reference (`{ secret: databaseUrl }`).
   * Defaults to `gates.integrity.connection` when the integrity gate is on PostgreSQL.
   */
  connection: plainOrSecret.optional(),
  /** Where dumps are written (relative to the project); default `.fleetgate/backups/<stack>`. */
  directory: z.string().min(1, "must be a directory path such as .fleetgate/backups").optional(),
  /**
   * Services whose deploy touches the database: the dump runs when one of them changes image or
   * env. Omitted: every change of the fleet revision takes a dump.
   */
  services: z
    .array(resourceName)
    .min(1, "must list at least one service, or omit it to back up on every revision change")
    .optional(),
  /** How long pg_dump may run. */
  timeoutSeconds: durationSeconds.default(900),
  /** Dumps kept in `directory` (older ones of this stack are removed after a successful dump). */
  keep: z.number().int().min(1, "must keep at least 1 dump").max(1000, "must be at most 1000").default(10),
  /** Prove the dumps restore (docs/restore-drills.md). */
  restoreDrill: restoreDrillConfig.optional(),
});
export type BackupConfig = z.infer<typeof backupConfig>;

/**
 * Post-deploy watch: samples each watched service's health URL for a bounded window after the
 * deploy and compares error rate and p95 latency with the pre-deploy baseline.
 */
export const watchConfig = z.strictObject({
  /** Length of the window after the deploy (15 minutes in prod; seconds in tests). */
  windowSeconds: durationSeconds.default(900),
  /** Pause between two samples of one service. */
  intervalSeconds: z
    .number()
    .positive("must be a positive number of seconds")
    .max(3600, "must be at most 3600 s")
    .default(15),
  /** Samples taken of the running version before the deploy (the baseline). */
  baselineSamples: z.number().int().min(1, "must be at least 1").max(100, "must be at most 100").default(5),
  /** Per-request timeout; a request that takes longer counts as an error. */
  requestTimeoutMs: durationMs.default(5000),
  /** Services to watch (web/private with a health check path); default every such service. */
  services: z
    .array(resourceName)
    .min(1, "must list at least one service, or omit it to watch every service with a health check path")
    .optional(),
  /** Error rate (non-2xx/3xx answers and failed requests) over which the deploy fails. */
  maxErrorRatePercent: percent.default(1),
  /** p95 may grow at most this much over the baseline's p95 ... */
  maxLatencyIncreasePercent: z.number().min(0, "must be 0 or more").default(50),
  /** ... and only a growth of at least this many ms counts (small absolute jitter is noise). */
  minLatencyIncreaseMs: z.number().int().min(0, "must be 0 or more").default(50),
  /** Absolute p95 ceiling (e.g. the SLO's 300 ms), applied with or without a baseline. */
  maxP95Ms: durationMs.optional(),
  /** Roll the services over threshold back to their previous deploy before failing. */
  rollback: z.boolean().default(true),
});
export type WatchConfig = z.infer<typeof watchConfig>;

/** Evidence ledger: one JSON line per `up` that deployed or re-ran a gate (and per monitor run). */
export const ledgerConfig = z.strictObject({
  /**
   * JSON Lines file (relative to the project). Default: `<stateDir>/ledger.jsonl` on the local
   * platform, `.fleetgate/ledger/<stack>.jsonl` elsewhere.
   */
  path: z.string().min(1, "must be a file path such as .fleetgate/ledger.jsonl").optional(),
  /** Also write each record as an S3 object `<prefix><stack>/<time>-<revision>.json`. */
  s3: z
    .strictObject({
      bucket: z
        .string()
        .regex(
          /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
          "must be an S3 bucket name such as acme-fleetgate-evidence",
        ),
      prefix: z.string().default("fleetgate/ledger/"),
      region: z.string().min(1).optional(),
      /** An S3-compatible endpoint (MinIO, R2, moto), e.g. http://127.0.0.1:9000 (path-style). */
      endpoint: z
        .string()
        .regex(/^https?:\/\/[^\s/]+\/?$/, "must be a base URL such as https://minio.example.com:9000")
        .optional(),
      /**
       * Declare the bucket in this stack (@pulumi/aws): versioned, private, encrypted; with
       * S3 Object Lock (governance mode) when `objectLockDays` is set, by default 90 days on prod.
       */
      declareBucket: z.boolean().default(false),
      /** Days each record version is locked against deletion (needs declareBucket). */
      objectLockDays: z
        .number()
        .int()
        .min(1, "must be at least 1 day")
        .max(3650, "must be at most 3650 days")
        .optional(),
    })
    .optional(),
});
export type LedgerConfig = z.infer<typeof ledgerConfig>;

/** Chat webhooks that receive a JSON message on a deploy's success and failure. */
export const notificationsConfig = z.strictObject({
  webhooks: z
    .array(
      z.strictObject({
        name: resourceName,
        /** Incoming-webhook URL; a secret reference, since the URL is the credential. */
        url: plainOrSecret,
        /**
         * Which events this channel hears about: `start` is the announcement before the first
         * service changes (docs/deploy-features.md), `success`/`failure` the result after.
         */
        on: z
          .array(
            z.enum(["start", "success", "failure"], { error: 'must be "start", "success" or "failure"' }),
          )
          .min(1, "must list start, success, failure or several")
          .default(["success", "failure"]),
      }),
    )
    .min(1, "must list at least one webhook"),
  /** Per-request timeout of a notification; a failed notification never fails the deploy. */
  timeoutMs: durationMs.default(5000),
});
export type NotificationsConfig = z.infer<typeof notificationsConfig>;

/**
 * Error-budget freeze: when the monitor's recorded availability has spent the SLO's error
 * budget over the window, `pulumi up` refuses new images in the listed environments.
 */
export const errorBudgetConfig = z.strictObject({
  /** Availability objective in percent (Atlas UX: 99.9). */
  sloPercent: z
    .number()
    .gt(0, "must be a percentage above 0")
    .lt(100, "must be below 100 (a 100 % objective has no budget to spend)")
    .default(99.9),
  /** The SLO window. */
  windowDays: z
    .number()
    .int()
    .min(1, "must be at least 1 day")
    .max(90, "must be at most 90 days")
    .default(30),
  /** Fewer monitor runs than this in the window: too little evidence to freeze. */
  minRuns: z.number().int().min(1, "must be at least 1").default(10),
  /** Environments (fleet.environment) the freeze applies to. */
  environments: z.array(z.string().min(1)).min(1, "must list at least one environment").default(["prod"]),
  /** Deploy new images despite an exhausted budget; the reason is written to the ledger. */
  override: z
    .strictObject({
      reason: z
        .string()
        .min(
          10,
          "must say why the freeze is overridden (at least 10 characters), e.g. the incident fix being shipped",
        ),
    })
    .optional(),
});
export type ErrorBudgetConfig = z.infer<typeof errorBudgetConfig>;

/** Cross-field issues of these sections, as (path, message) pairs for the schema's collector. */
export function deployConfigIssues(cfg: {
  fleet: { services: { name: string; healthCheckPath?: string; type: string }[] };
  gates: {
    backup?: BackupConfig;
    watch?: WatchConfig;
    integrity?: { engine: string; connection: unknown };
  };
}): { path: (string | number)[]; message: string }[] {
  const issues: { path: (string | number)[]; message: string }[] = [];
  const names = new Set(cfg.fleet.services.map((s) => s.name));
  const { backup, watch, integrity } = cfg.gates;
  if (backup && !backup.connection && integrity?.engine !== "postgres") {
    issues.push({
      path: ["gates", "backup", "connection"],
      message: "is required (no PostgreSQL integrity gate to take it from); set { secret: databaseUrl }",
    });
  }
  if (typeof backup?.connection === "string" && /:\/\/[^/@\s]*:[^/@\s]+@/.test(backup.connection)) {
    issues.push({
      path: ["gates", "backup", "connection"],
      message:
        "the connection string holds a password in plain text; set it with `pulumi config set --secret` and use { secret: <key> }",
    });
  }
  backup?.services?.forEach((s, i) => {
    if (!names.has(s))
      issues.push({
        path: ["gates", "backup", "services", i],
        message: `unknown service "${s}"; declare it under fleet.services`,
      });
  });
  const scratch = backup?.restoreDrill?.scratchServer;
  if (typeof scratch === "string" && /:\/\/[^/@\s]*:[^/@\s]+@/.test(scratch)) {
    issues.push({
      path: ["gates", "backup", "restoreDrill", "scratchServer"],
      message:
        "the connection string holds a password in plain text; set it with `pulumi config set --secret` and use { secret: <key> }",
    });
  }
  watch?.services?.forEach((s, i) => {
    const svc = cfg.fleet.services.find((x) => x.name === s);
    if (!svc)
      issues.push({
        path: ["gates", "watch", "services", i],
        message: `unknown service "${s}"; declare it under fleet.services`,
      });
    else if (!svc.healthCheckPath)
      issues.push({
        path: ["gates", "watch", "services", i],
        message: `service "${s}" has no healthCheckPath to sample; add one or remove it from the watch`,
      });
  });
  if (watch && watch.intervalSeconds >= watch.windowSeconds) {
    issues.push({
      path: ["gates", "watch", "intervalSeconds"],
      message: `must be shorter than windowSeconds (${watch.windowSeconds} s) so the window holds more than one sample`,
    });
  }
  return issues;
}
