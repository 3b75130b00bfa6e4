/**
 * The shared smoke-check library's contract. The deploy gate (providers/checks) and the
 * scheduled health monitor (components/alarms, bundled into a Lambda) both run checks through
 * `runChecks` in ./run.ts, so they never disagree.
 */
import type { CheckConfig } from "../../config/checks";

/** Omit over each member of a union (the built-in Omit flattens the union). */
export type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** A check with its target resolved to a URL and its secret references resolved to values. */
export type ResolvedCheck = DistributiveOmit<
  CheckConfig,
  "target" | "headers" | "validKey" | "apiKey" | "signingSecret" | "timeoutMs"
> & {
  /** The target's name (service or external target), for the result table. */
  target: string;
  /** Absolute URL: target base URL + path. */
  url: string;
  timeoutMs: number;
  headers?: Record<string, string>;
  validKey?: string;
  apiKey?: string;
  signingSecret?: string;
  /** `log` checks: where the target's logs are read (lib/checks/kinds/logSources.ts). */
  logSource?: LogSource;
  /** `liveness` checks: how the platform says the service is up (lib/checks/kinds/liveness.ts). */
  livenessSource?: LivenessSource;
};

/** Where a `liveness` check asks: the local platform's process record, or Render's API. */
export type LivenessSource =
  | { kind: "local"; stateDir: string; service: string }
  | { kind: "render"; baseUrl: string; serviceId: string };

/** Where a `log` check reads: a local log file, or Render's logs API for one service. */
export type LogSource =
  { kind: "file"; path: string } | { kind: "render"; baseUrl: string; ownerId: string; resourceId: string };

export type CheckStatus = "pass" | "fail";

export interface CheckResult {
  check: string;
  target: string;
  kind: CheckConfig["kind"];
  status: CheckStatus;
  latencyMs: number;
  /** Why it failed (never a secret value), or a short note when it passed. */
  reason: string;
}

export interface RunOptions {
  /** Retries of transient connection errors; failed assertions are never retried. */
  retries: number;
  /** PEM CA bundle to trust in addition to the system's (for self-signed test servers). */
  ca?: string;
}
