/**
 * SmokeSuite: a dynamic resource that runs the fleet's smoke checks inside `pulumi up`.
 *
 * It runs on create and whenever a deploy of a service it covers happened (`deployments`: the
 * `DeployedService.deployment` of each, which changes exactly when that service was deployed,
 * including a redeploy after a rollback or a crash) or its own definition changes (checks,
 * their secrets, targets, retries, CA); the diff says so at preview, without calling any
 * service. See docs/gates.md, "Triggers". A failed check fails the create/update with the result
 * table in the message; with `rollbackOnFailure` the failed services are rolled back first.
 * Type: `pulumi-nodejs:dynamic/checks:SmokeSuite`.
 */
import * as pulumi from "@pulumi/pulumi";
import type { RollbackTarget } from "../../components/platform";
import { GateRollback, LedgerContext, recordGateFailure } from "../../lib/ledger/context";
import { formatResultTable, runChecks, summarizeResults } from "../../lib/checks/run";
import type { CheckResult, DistributiveOmit, ResolvedCheck } from "../../lib/checks/types";
import { describeRollback, rollbackFailedServices, RollbackFn } from "./rollback";

/** The secret parts of one check, kept apart so they travel as one secret input. */
export interface CheckSecrets {
  headers?: Record<string, string>;
  validKey?: string;
  apiKey?: string;
  signingSecret?: string;
}

/** A check without its secrets (those are in `secrets`, by check name). */
export type SuiteCheck = DistributiveOmit<ResolvedCheck, keyof CheckSecrets>;

export interface SmokeSuiteArgs {
  /** Service/target names the checks cover (read by the policy pack). */
  targets: pulumi.Input<pulumi.Input<string>[]>;
  /** Fleet revision (recorded; the suite re-runs on `deployments`, not on the revision). */
  revision: pulumi.Input<string>;
  /** `<service>: <deployment>` of every service the suite covers: a new deploy re-runs it. */
  deployments?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  checks: pulumi.Input<pulumi.Input<SuiteCheck>[]>;
  /** Secret parts of the checks by check name; always stored as a Pulumi secret. */
  secrets?: pulumi.Input<Record<string, CheckSecrets>>;
  /** Retries of transient connection errors per check. */
  retries: pulumi.Input<number>;
  /** PEM CA to trust in addition to the system's. */
  ca?: pulumi.Input<string>;
  rollbackOnFailure?: pulumi.Input<boolean>;
  /** How to roll back each service, by service name. */
  rollbackTargets?: pulumi.Input<Record<string, pulumi.Input<RollbackTarget>>>;
  /** Where a failed run is recorded and who is told (the evidence ledger); stored as a secret. */
  evidence?: pulumi.Input<LedgerContext>;
}

interface SuiteState {
  targets: string[];
  revision: string;
  deployments?: Record<string, string>;
  checks: SuiteCheck[];
  secrets?: Record<string, CheckSecrets>;
  retries: number;
  ca?: string;
  rollbackOnFailure?: boolean;
  rollbackTargets?: Record<string, RollbackTarget>;
  evidence?: LedgerContext;
}

interface SuiteOutputs extends SuiteState {
  results: CheckResult[];
  table: string;
  summary: string;
  ranAt: string;
}

/**
 * Input fields whose change re-runs the checks. `rollbackTargets` change with every deploy and
 * `deployments` already covers that; `revision` is recorded only (a revision that deployed
 * nothing has nothing new to check).
 */
const RERUN_FIELDS = ["deployments", "checks", "secrets", "targets", "retries", "ca"] as const;

/** Which fields changed in a way that re-runs the suite (stable JSON, so key order does not matter). */
export function smokeSuiteChanges(olds: Partial<SuiteState>, news: Partial<SuiteState>): string[] {
  const canon = (v: unknown): string =>
    JSON.stringify(v, (_k, val) =>
      val && typeof val === "object" && !Array.isArray(val)
        ? Object.fromEntries(Object.entries(val).sort(([a], [b]) => a.localeCompare(b)))
        : val,
    ) ?? "undefined";
  return RERUN_FIELDS.filter((f) => canon(olds[f]) !== canon(news[f]));
}

/** Runs the suite; throws (with the table and any rollback) when a check fails. */
export async function runSuite(
  state: SuiteState,
  rollback: RollbackFn,
  config?: pulumi.dynamic.Config,
): Promise<SuiteOutputs> {
  const checks = state.checks.map((c) => ({ ...c, ...(state.secrets?.[c.name] ?? {}) }) as ResolvedCheck);
  const results = await runChecks(checks, { retries: state.retries, ca: state.ca });
  const table = formatResultTable(results);
  const summary = summarizeResults(results);
  if (results.some((r) => r.status === "fail")) {
    let message = `smoke suite failed: ${summary}\n\n${table}`;
    let rolledBack: string[] = [];
    let restored: GateRollback | undefined;
    if (state.rollbackOnFailure) {
      const outcome = await rollbackFailedServices(results, state.rollbackTargets ?? {}, rollback, config);
      message += `\n\n${describeRollback(outcome)}`;
      rolledBack = [...outcome.rolledBack, ...outcome.problems];
      restored = { liveImages: outcome.liveImages, incomplete: outcome.problems.length > 0 };
    } else {
      message += "\n\nNothing was rolled back (gates.smoke.rollbackOnFailure is false).";
    }
    // A failed resource stops the update before the EvidenceRecord: record the failure here.
    throw new Error(
      await recordGateFailure(
        state.evidence,
        "smoke",
        message,
        { checks: results, rollback: rolledBack, deployments: state.deployments },
        restored,
      ),
    );
  }
  return { ...state, results, table, summary, ranAt: new Date().toISOString() };
}

/** The dynamic provider; `rollback` is the platform's rollback (injected, serialized with it). */
export function smokeSuiteProvider(rollback: RollbackFn): pulumi.dynamic.ResourceProvider {
  const provider = {
    config: undefined as pulumi.dynamic.Config | undefined,
    async configure(req: pulumi.dynamic.ConfigureRequest) {
      provider.config = req.config;
    },
    async diff(_id: string, olds: SuiteOutputs, news: SuiteState): Promise<pulumi.dynamic.DiffResult> {
      const changed = smokeSuiteChanges(olds, news);
      const rollbackChanged = JSON.stringify(olds.rollbackTargets) !== JSON.stringify(news.rollbackTargets);
      const flagChanged = Boolean(olds.rollbackOnFailure) !== Boolean(news.rollbackOnFailure);
      return { changes: changed.length > 0 || rollbackChanged || flagChanged };
    },
    async create(inputs: SuiteState): Promise<pulumi.dynamic.CreateResult> {
      const outs = await runSuite(inputs, rollback, provider.config);
      return { id: `smoke-${Date.now().toString(36)}`, outs };
    },
    async update(_id: string, olds: SuiteOutputs, news: SuiteState): Promise<pulumi.dynamic.UpdateResult> {
      // Only re-run the checks when something they depend on changed; otherwise keep the results.
      if (smokeSuiteChanges(olds, news).length === 0) {
        return {
          outs: {
            ...news,
            results: olds.results,
            table: olds.table,
            summary: olds.summary,
            ranAt: olds.ranAt,
          },
        };
      }
      return { outs: await runSuite(news, rollback, provider.config) };
    },
    // A suite is a record of a run; there is nothing remote to read back or delete.
    async read(id: string, props: SuiteOutputs): Promise<pulumi.dynamic.ReadResult> {
      return { id, props };
    },
    async delete() {},
  };
  return provider;
}

export class SmokeSuite extends pulumi.dynamic.Resource {
  declare public readonly results: pulumi.Output<CheckResult[]>;
  declare public readonly table: pulumi.Output<string>;
  declare public readonly summary: pulumi.Output<string>;
  declare public readonly ranAt: pulumi.Output<string>;

  constructor(name: string, args: SmokeSuiteArgs, rollback: RollbackFn, opts?: pulumi.CustomResourceOptions) {
    const secrets = args.secrets === undefined ? {} : pulumi.secret(args.secrets);
    // The ledger context holds webhook URLs (credentials).
    const evidence = args.evidence === undefined ? undefined : pulumi.secret(args.evidence);
    super(
      smokeSuiteProvider(rollback),
      name,
      {
        ...args,
        secrets,
        evidence,
        results: undefined,
        table: undefined,
        summary: undefined,
        ranAt: undefined,
      },
      {
        ...opts,
        additionalSecretOutputs: ["secrets", "evidence", ...(opts?.additionalSecretOutputs ?? [])],
      },
      "checks",
      "SmokeSuite",
    );
  }
}
