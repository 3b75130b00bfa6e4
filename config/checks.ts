/**
 * Smoke check definitions. The same definitions feed the deploy gate (SmokeSuite) and the
 * scheduled health monitor, so the two never disagree.
 */
import { z } from "zod";
import { durationMs, durationSeconds, httpPath, plainOrSecret, resourceName, secretRef } from "./primitives";

/**
 * What a check calls: the name of a fleet service (its URL comes from the platform) or of an
 * external target, optionally with a path.
 */
const checkBase = {
  /** Unique name of the check within the suite. */
  name: resourceName,
  /** A service or external-target name of this stack. */
  target: resourceName,
  /** Path on the target (default `/`). */
  path: httpPath.default("/"),
  /** Per-check timeout; defaults to the suite's `timeoutMs`. */
  timeoutMs: durationMs.optional(),
  /** Optional latency budget: slower answers fail the check. */
  latencyBudgetMs: durationMs.optional(),
  /** Extra request headers (values may be secrets, e.g. a bearer token). */
  headers: z
    .record(z.string().regex(/^[A-Za-z0-9-]+$/, "is not a valid header name"), plainOrSecret)
    .optional(),
};

const statusCode = z
  .number()
  .int()
  .min(100, "must be an HTTP status 100-599")
  .max(599, "must be an HTTP status 100-599");

/** A JavaScript regular expression (no slashes), checked to compile. */
const logPattern = z
  .string()
  .min(1, "must be a regular expression such as panic:|FATAL")
  .refine((p) => {
    try {
      new RegExp(p);
      return true;
    } catch {
      return false;
    }
  }, "is not a valid regular expression");

/**
 * `log` (docs/log-checks.md): reads the target service's logs after the deploy. No line may match
 * `absent`; every pattern of `present` must match a line before the check's timeout. Sources:
 * the local platform's log file of the service, Render's logs API (`GET /v1/logs`).
 */
const logCheck = z
  .strictObject({
    ...checkBase,
    kind: z.literal("log"),
    /** Patterns no log line may match (errors, panics, stack traces). */
    absent: z.array(logPattern).default([]),
    /** Patterns that must each match some line (a readiness line, a request id). */
    present: z.array(logPattern).default([]),
    /** Render: lines from this many seconds before the check are read (the deploy just went live). */
    windowSeconds: durationSeconds.default(300),
    /** Keep reading new lines this long for `absent` patterns (bounded by the check's timeout). */
    watchSeconds: z
      .number()
      .int()
      .min(0, "must be 0 or more seconds")
      .max(3600, "must be at most 3600 s")
      .default(0),
    /** Local platform: the log file to read instead of the platform's `logs/<target>.log`. */
    file: z.string().min(1, "must be a file path such as logs/worker.log").optional(),
  })
  .refine((c) => c.absent.length + c.present.length > 0, {
    message: "needs at least one pattern in absent or present",
  });

/**
 * `liveness` (docs/worker-liveness.md): a worker or private service without a public URL is
 * alive by the platform's own word: its process (local) or its live deploy (Render) is up and
 * stays up for `minUptimeSeconds`.
 */
const livenessCheck = z.strictObject({
  ...checkBase,
  kind: z.literal("liveness"),
  /** The service must stay up this long after the deploy (a crash loop fails the check). */
  minUptimeSeconds: z
    .number()
    .int()
    .min(0, "must be 0 or more seconds")
    .max(3600, "must be at most 3600 s")
    .default(10),
});

export const checkConfig = z.discriminatedUnion("kind", [
  z.strictObject({ ...checkBase, kind: z.literal("http"), expectStatus: statusCode.default(200) }),
  z.strictObject({
    ...checkBase,
    kind: z.literal("json"),
    /** Dotted path into the JSON body, e.g. `status` or `build.version`. */
    field: z.string().min(1, "must name a JSON field such as status"),
    equals: z.union([z.string(), z.number(), z.boolean()]).optional(),
    atLeast: z.number().optional(),
    /** Only require the field to be present and non-empty. */
    present: z.boolean().optional(),
  }),
  z.strictObject({ ...checkBase, kind: z.literal("html"), titleContains: z.string().optional() }),
  z.strictObject({
    ...checkBase,
    kind: z.literal("apiKey"),
    /** The key that must be accepted. */
    validKey: secretRef,
    /** Header carrying the key (default `authorization` with a `Bearer ` prefix). */
    header: z.string().default("authorization"),
  }),
  z.strictObject({
    ...checkBase,
    kind: z.literal("mcp"),
    minTools: z.number().int().positive("must be at least 1"),
    apiKey: secretRef.optional(),
  }),
  z.strictObject({
    ...checkBase,
    kind: z.literal("webhook"),
    /** Signing secret shared with the sender (Svix/Standard Webhooks: `whsec_...`; Stripe: `whsec_...`). */
    signingSecret: secretRef,
    /**
     * How the sender signs: `github` (`sha256=<hex>` in `signatureHeader`), `standard-webhooks`
     * (`webhook-*` headers), `svix` (`svix-*` headers, e.g. Clerk) or `stripe` (`Stripe-Signature`).
     */
    scheme: z
      .enum(["github", "standard-webhooks", "svix", "stripe"], {
        error: "must be one of github, standard-webhooks, svix, stripe (how the sender signs)",
      })
      .default("github"),
    /** Header of the `github` scheme; the other schemes use their own header names. */
    signatureHeader: z.string().default("x-fleetgate-signature"),
  }),
  z.strictObject({
    ...checkBase,
    kind: z.literal("jwks"),
    /** Optional path on the target that returns a token the service signed; it must verify. */
    tokenPath: httpPath.optional(),
  }),
  z.strictObject({ ...checkBase, kind: z.literal("requestId"), header: z.string().default("x-request-id") }),
  logCheck,
  livenessCheck,
]);
export type CheckConfig = z.infer<typeof checkConfig>;

export const smokeConfig = z.strictObject({
  /** Default timeout per check. */
  timeoutMs: durationMs.default(5000),
  /** Retries of transient connection errors (never of failed assertions). */
  retries: z.number().int().min(0, "must be 0 or more").max(5, "must be at most 5").default(1),
  /**
   * PEM file (path relative to the project) of a CA to trust in addition to the system's, for
   * targets with a private or self-signed certificate. Without it such targets fail the check.
   */
  caFile: z.string().min(1, "must be a path to a PEM file such as certs/internal-ca.pem").optional(),
  /** Roll failed services back to their previous deploy before failing the update. */
  rollbackOnFailure: z.boolean().default(false),
  checks: z.array(checkConfig).min(1, "must list at least one check"),
});
export type SmokeConfig = z.infer<typeof smokeConfig>;
