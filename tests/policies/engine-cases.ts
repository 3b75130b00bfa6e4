/**
 * The policy cases the engine tests run, one table shared by the tests and by
 * scripts/engine-coverage.ts (docs/engine-coverage.md): for each policy, the stack variant that
 * breaks it through `pulumi preview --policy-pack policies`, the level it is reported at and the
 * message the CLI must print.
 */

export interface PolicyCase {
  policy: string;
  level: "mandatory" | "advisory";
  /** The engine test file (from the repo root) and the stack variant it runs. */
  test: string;
  variant: string;
  message: RegExp;
}

type Pair = [policy: string, message: RegExp];

/** Broken by one prod variant (engine-variants.test.ts). */
export const BROKEN_PROD: Pair[] = [
  ["smoke-gate", /public service "refapp-dashboard" is not covered by the smoke suite/],
  [
    "integrity-gate",
    /the stack has a database \(env vars of service "[\w-]+" declares DATABASE_URL\) but no integrity gate/,
  ],
  ["service-down-alarm", /public service "refapp-dashboard" has no service-down alarm/],
  ["prod-reviewers", /GitHub environment "prod" has no required reviewers/],
];

/** Broken by the raw program in engine-raw/ (what the config validator refuses to build). */
export const RAW: Pair[] = [
  [
    "pinned-images",
    /docker:index\/remoteImage:RemoteImage "edge-proxy" name "nginx:latest": tag "latest" is not pinned/,
  ],
  [
    "actions-pinned-by-sha",
    /workflow \.github\/workflows\/ci\.yml jobs\.test\.steps\[0\]\.uses: .*actions\/checkout@v4/,
  ],
  ["web-health-check", /public service "web" has no health check path/],
  ["stateful-disk", /service "search" is marked stateful but has no disk/],
  [
    "secret-env-values",
    /env var STRIPE_API_KEY of env vars of service "web" has a plain value but its name looks secret/,
  ],
];

const VARIANTS = "tests/policies/engine-variants.test.ts";

export const POLICY_CASES: PolicyCase[] = [
  ...BROKEN_PROD.map(([policy, message]) => ({
    policy,
    level: "mandatory" as const,
    test: VARIANTS,
    variant:
      "prod with one change per policy; again with --policy-pack-config lowering each to advisory (passes)",
    message,
  })),
  ...RAW.map(([policy, message]) => ({
    policy,
    level: "mandatory" as const,
    test: VARIANTS,
    variant: "engine-raw/ program (resources the config refuses)",
    message,
  })),
  {
    policy: "prod-foreign-env-keys",
    level: "advisory",
    test: "tests/stacks-engine/prod-up.test.ts",
    variant: "prod after up, a key set by hand on refapp-engine, preview --refresh (passes)",
    message:
      /env vars of service "refapp-engine" \(prod\) found keys it does not declare \(refapp-engine: SET_BY_HAND\)/,
  },
];
