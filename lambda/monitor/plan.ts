/**
 * The monitor's plan: the deploy gate's smoke checks with their URLs resolved and their secret
 * values replaced by slots (`{ secret: <config key> }`). The plan travels in the Lambda's
 * environment in plain JSON; the values of the slots come from one SSM SecureString at run time.
 */
import type { ResolvedCheck } from "../../lib/checks/types";

/** Where a secret value goes: the stack config key whose value fills it. */
export interface SecretSlot {
  secret: string;
}

type SecretFields = "headers" | "validKey" | "apiKey" | "signingSecret";

export type PlannedCheck = Omit<ResolvedCheck, SecretFields> & {
  headers?: Record<string, string | SecretSlot>;
  validKey?: SecretSlot;
  apiKey?: SecretSlot;
  signingSecret?: SecretSlot;
};

export interface MonitorPlan {
  fleet: string;
  environment: string;
  /** Pulumi stack whose ledger the run's monitor record goes to. */
  stack?: string;
  /** Severity topic the failures go to (for the subject line). */
  severity: string;
  /** Retries of transient connection errors, as in the deploy gate. */
  retries: number;
  checks: PlannedCheck[];
}

const isSlot = (v: unknown): v is SecretSlot => typeof v === "object" && v !== null && "secret" in v;

/** Every config key the plan needs a value for. */
export function secretKeysOf(plan: MonitorPlan): string[] {
  const keys = new Set<string>();
  for (const c of plan.checks) {
    for (const v of [c.validKey, c.apiKey, c.signingSecret, ...Object.values(c.headers ?? {})]) {
      if (isSlot(v)) keys.add(v.secret);
    }
  }
  return [...keys].sort();
}

/** The plan's checks with every slot filled; a missing value names the key, never a value. */
export function resolvePlan(plan: MonitorPlan, secrets: Record<string, string>): ResolvedCheck[] {
  const fill = (check: string, v: SecretSlot): string => {
    const value = secrets[v.secret];
    if (typeof value !== "string") {
      throw new Error(
        `check "${check}" needs secret "${v.secret}", which the monitor's secret parameter does not hold`,
      );
    }
    return value;
  };
  return plan.checks.map((c) => {
    const { headers, validKey, apiKey, signingSecret, ...rest } = c;
    const resolved: ResolvedCheck = { ...rest } as ResolvedCheck;
    if (headers) {
      resolved.headers = Object.fromEntries(
        Object.entries(headers).map(([k, v]) => [k, isSlot(v) ? fill(c.name, v) : v]),
      );
    }
    if (validKey) resolved.validKey = fill(c.name, validKey);
    if (apiKey) resolved.apiKey = fill(c.name, apiKey);
    if (signingSecret) resolved.signingSecret = fill(c.name, signingSecret);
    return resolved;
  });
}
