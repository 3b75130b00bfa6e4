/**
 * The monitor's plan: the deploy gate's smoke checks with their URLs resolved and their secret
 * values replaced by slots (`{ secret: <config key> }` or `{ generated: <name> }`, the config's
 * own reference). The plan ships beside the Lambda's code in plain JSON; the values of the slots
 * come from one SSM SecureString at run time, keyed by `slotKey`.
 */
import type { ResolvedCheck } from "../../lib/checks/types";

/**
 * Where a secret value goes: the stack config key whose value fills it, or the name of a secret
 * the stack generates itself (`random.RandomPassword`, components/secrets.ts).
 */
export type SecretSlot = { secret: string } | { generated: string };

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
  /** Render's owner id, to look up by name the services the `log` and `liveness` checks read. */
  renderOwnerId?: string;
  checks: PlannedCheck[];
}

const isSlot = (v: unknown): v is SecretSlot =>
  typeof v === "object" && v !== null && ("secret" in v || "generated" in v);

/**
 * The key of a slot's value in the secrets object: the config key itself, or `generated:<name>`
 * (config keys cannot hold a ':', so the two never collide).
 */
export function slotKey(slot: SecretSlot): string {
  return "secret" in slot ? slot.secret : `generated:${slot.generated}`;
}

/** Every slot the plan needs a value for, one per key, sorted by key. */
export function secretSlotsOf(plan: MonitorPlan): SecretSlot[] {
  const slots = new Map<string, SecretSlot>();
  for (const c of plan.checks) {
    for (const v of [c.validKey, c.apiKey, c.signingSecret, ...Object.values(c.headers ?? {})]) {
      if (isSlot(v)) slots.set(slotKey(v), v);
    }
  }
  return [...slots.keys()].sort().map((k) => slots.get(k)!);
}

/** Every key (`slotKey`) the plan needs a value for. */
export function secretKeysOf(plan: MonitorPlan): string[] {
  return secretSlotsOf(plan).map(slotKey);
}

/** The plan's checks with every slot filled; a missing value names the key, never a value. */
export function resolvePlan(plan: MonitorPlan, secrets: Record<string, string>): ResolvedCheck[] {
  const fill = (check: string, v: SecretSlot): string => {
    const value = secrets[slotKey(v)];
    if (typeof value !== "string") {
      throw new Error(
        `check "${check}" needs secret "${slotKey(v)}", which the monitor's secret parameter does not hold`,
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
