/**
 * Deploy features of issue 10 (docs/deploy-features.md), wired around the gates of
 * components/gates.ts:
 * - before anything is registered: the error-budget freeze (`enforceErrorBudget`);
 * - pre-deploy (in `PlatformArgs.before`): the Backup and the watch's baseline;
 * - post-deploy, after the smoke suite and integrity verify: the PostDeployWatch, then the
 *   EvidenceRecord (ledger line + success notification, also in the S3 ledger when configured).
 */
import { createHash } from "crypto";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { StackConfig } from "../config/schema";
import type { LedgerContext } from "../lib/ledger/context";
import { s3TargetOf } from "../lib/ledger/backend";
import { readRecords } from "../lib/ledger/file";
import { readS3RecordsSync } from "../lib/ledger/s3";
import type { Webhook } from "../lib/ledger/notify";
import type { RecordedCheck } from "../lib/ledger/record";
import { FreezeDecision, freezeDecision, FreezeError } from "../lib/slo/freeze";
import { Backup } from "../providers/backup/backup";
import type { RestoreDrill } from "../providers/backup/restoreDrill";
import { backupRevision } from "../providers/backup/revision";
import type { RollbackFn } from "../providers/checks/rollback";
import { EvidenceRecord, LedgerTarget } from "../providers/ledger/evidenceRecord";
import type { DeployAnnouncement } from "../providers/notify/announcement";
import { WatchBaseline } from "../providers/watch/baseline";
import type { WatchTarget } from "../providers/watch/sample";
import { PostDeployWatch } from "../providers/watch/watch";
import { declaredDeployKey, deploymentsOf, PostDeployGates } from "./gates";
import { PlatformResult } from "./platform";
import { SecretResolver } from "./secrets";
import { buildAnnouncement, buildRestoreDrill } from "./seedGates";

export interface DeployFeaturesArgs {
  config: StackConfig;
  secrets: SecretResolver;
  /** The fleet revision. */
  revision: string;
  /** Pulumi stack name. */
  stack: string;
  /** Directory relative paths of the config resolve against (the project). */
  projectDir: string;
  /** The ledger file (see `ledgerPath`). */
  ledgerFile: string;
  /** The freeze decision of this run (`enforceErrorBudget`), recorded when overridden. */
  freeze?: FreezeDecision;
  /** The image each service deploys when it is not the config's (components/release.ts). */
  images?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** Where each service's image came from (release input, promoted stack, resolved tag). */
  imageSources?: Record<string, string>;
}

export interface DeployPre {
  /** Resources the platform must wait for. */
  before: pulumi.Resource[];
  backup?: Backup;
  baseline?: WatchBaseline;
  /** The drill that restores the Backup's dump (`gates.backup.restoreDrill.onDeploy`). */
  restoreDrill?: RestoreDrill;
  /** The announcement sent before the change (a webhook listening for `start`). */
  announcement?: DeployAnnouncement;
  /** The ledger context gates use to record their own failures (undefined: no ledger). */
  evidence?: pulumi.Output<LedgerContext>;
}

export interface DeployPost {
  watch?: PostDeployWatch;
  evidence?: EvidenceRecord;
}

/**
 * Throws a FreezeError when the error budget is spent and new images would ship (see
 * lib/slo/freeze.ts); warns and returns the decision when the override lets it through.
 */
export function enforceErrorBudget(
  cfg: StackConfig,
  ledgerFile: string,
  stack: string,
  now = new Date(),
): FreezeDecision {
  if (!cfg.gates.errorBudget) return { frozen: false, newImages: [] };
  // With an S3 ledger the bucket is the truth: it holds every runner's and clone's records.
  // Under Pulumi's unit-test mocks nothing outside the process is reached: no bucket is read
  // (tests/evidence runs the S3 freeze through the real engine).
  const s3 = underMocks() ? undefined : s3TargetOf(cfg.gates.ledger?.s3);
  const { records } = s3 ? readS3RecordsSync(s3, stack) : readRecords(ledgerFile);
  const decision = freezeDecision(cfg, records, stack, now);
  if (decision.frozen) throw new FreezeError(decision.message!);
  if (decision.overridden) pulumi.log.warn(decision.message!);
  return decision;
}

function underMocks(): boolean {
  const { MockMonitor } =
    require("@pulumi/pulumi/runtime/mocks") as typeof import("@pulumi/pulumi/runtime/mocks");
  return pulumi.runtime.getMonitor() instanceof MockMonitor;
}

/** The ledger is written when any of ledger, notifications or errorBudget is configured. */
export function ledgerEnabled(cfg: StackConfig): boolean {
  return Boolean(cfg.gates.ledger || cfg.gates.notifications || cfg.gates.errorBudget);
}

function webhooksOf(cfg: StackConfig, secrets: SecretResolver): pulumi.Output<Webhook[]> {
  const hooks = cfg.gates.notifications?.webhooks ?? [];
  return pulumi.all(
    hooks.map((w) =>
      pulumi.all([w.name, secrets.value(w.url), w.on]).apply(([name, url, on]) => ({ name, url, on })),
    ),
  );
}

function ledgerTarget(args: DeployFeaturesArgs): pulumi.Output<LedgerTarget> {
  const cfg = args.config;
  const declared = Object.fromEntries(cfg.fleet.services.map((s) => [s.name, s.image]));
  return pulumi.output(args.images ?? {}).apply((deployed) => ({
    file: args.ledgerFile,
    stack: args.stack,
    fleet: cfg.fleet.name,
    environment: cfg.fleet.environment,
    revision: args.revision,
    images: { ...declared, ...(deployed as Record<string, string>) },
    ...(args.imageSources ? { imageSources: args.imageSources } : {}),
    ...(args.freeze?.overridden ? { freezeOverride: args.freeze.overridden } : {}),
    ...(cfg.gates.ledger?.s3 ? { s3: s3TargetOf(cfg.gates.ledger.s3) } : {}),
  }));
}

/** Services the watch samples: the configured list, or every web/private service with a health path. */
export function watchedServices(cfg: StackConfig): StackConfig["fleet"]["services"] {
  const listed = cfg.gates.watch?.services;
  return cfg.fleet.services.filter((s) =>
    listed
      ? listed.includes(s.name)
      : (s.type === "web" || s.type === "private") && s.healthCheckPath !== undefined,
  );
}

/**
 * The URL of a running service known before the deploy: the configured `url`, the local
 * platform's loopback port, or Render's default `https://<name>.onrender.com`.
 */
export function preDeployUrl(cfg: StackConfig, s: StackConfig["fleet"]["services"][number]): string {
  const base =
    s.url ??
    (cfg.platform.kind === "local" && s.local
      ? `http://127.0.0.1:${s.local.port}`
      : `https://${s.name}.onrender.com`);
  return `${base.replace(/\/+$/, "")}${s.healthCheckPath ?? "/"}`;
}

export function buildDeployPre(parent: pulumi.Resource, args: DeployFeaturesArgs): DeployPre {
  const cfg = args.config;
  const out: DeployPre = { before: [] };
  if (ledgerEnabled(cfg)) {
    const timeoutMs = cfg.gates.notifications?.timeoutMs ?? 5000;
    out.evidence = pulumi
      .all([webhooksOf(cfg, args.secrets), ledgerTarget(args)])
      .apply(([webhooks, target]) => ({
        ...target,
        webhooks,
        notifyTimeoutMs: timeoutMs,
      }));
  }
  const backup = cfg.gates.backup;
  if (backup) {
    const connection = backup.connection ?? cfg.gates.integrity?.connection;
    if (connection === undefined)
      throw new Error("gates.backup.connection: is required; set { secret: databaseUrl }");
    out.backup = new Backup(
      "backup",
      {
        engine: backup.engine,
        connection: args.secrets.value(connection),
        directory: path.resolve(
          args.projectDir,
          backup.directory ?? path.join(".fleetgate", "backups", args.stack),
        ),
        stack: args.stack,
        revision: backupRevision(cfg.fleet, backup.services),
        timeoutSeconds: backup.timeoutSeconds,
        keep: backup.keep,
        evidence: out.evidence,
      },
      { parent },
    );
    out.before.push(out.backup);
    // The restore drill proves the dump just taken restores (docs/restore-drills.md).
    const drill = buildRestoreDrill(parent, {
      config: cfg,
      secrets: args.secrets,
      backup: out.backup,
      evidence: out.evidence,
    });
    if (drill) {
      out.restoreDrill = drill;
      out.before.push(drill);
    }
  }
  // The announcement before the change (docs/deploy-features.md), naming the images deployed.
  const announcement = buildAnnouncement(parent, {
    config: cfg,
    secrets: args.secrets,
    stack: args.stack,
    revision: args.revision,
    images: args.images,
  });
  if (announcement) {
    out.announcement = announcement;
    out.before.push(announcement);
  }
  const watch = cfg.gates.watch;
  if (watch) {
    out.baseline = new WatchBaseline(
      "watch-baseline",
      {
        targets: watchedServices(cfg).map((s) => ({ service: s.name, url: preDeployUrl(cfg, s) })),
        revision: args.revision,
        // Pre-deploy, like the integrity snapshot: re-sampled before every declared change that
        // will deploy something (an env value, a resolved digest, a run setting; docs/gates.md).
        deployKey: pulumi
          .output(args.images ?? {})
          .apply((images) => declaredDeployKey(cfg, args.secrets, images as Record<string, string>)),
        samples: watch.baselineSamples,
        requestTimeoutMs: watch.requestTimeoutMs,
      },
      { parent },
    );
    out.before.push(out.baseline);
  }
  return out;
}

export interface DeployPostArgs extends DeployFeaturesArgs {
  platform: PlatformResult;
  pre: DeployPre;
  gates: PostDeployGates;
  /** The platform's rollback (components/gates.ts `platformRollback`). */
  rollback: RollbackFn;
}

/** The checks an evidence record lists: each smoke check, then the integrity verify (it passed, or the update stopped). */
function recordedChecks(gates: PostDeployGates): pulumi.Output<RecordedCheck[]> {
  // Every suite's results: the per-wave suites', then the final one's.
  const smoke: pulumi.Output<RecordedCheck[]> = gates.smokeResults ?? pulumi.output([]);
  if (!gates.verify) return smoke;
  return pulumi.all([smoke, gates.verify.baseline]).apply(([results, baseline]): RecordedCheck[] => [
    ...(results ?? []),
    {
      check: "integrity-verify",
      target: "database",
      status: "pass",
      latencyMs: 0,
      // Says when the baseline is an older snapshot (docs/gates.md, "Triggers").
      reason: `no table or critical row lost (${baseline ?? "compared with the pre-deploy snapshot"})`,
    },
  ]);
}

export function buildDeployPost(parent: pulumi.Resource, args: DeployPostArgs): DeployPost {
  const cfg = args.config;
  const ready = Object.values(args.platform.services).flatMap((s) => s.ready);
  const suites = [...(args.gates.waveSmoke ?? []), ...(args.gates.smoke ? [args.gates.smoke] : [])];
  const gateResources = [...suites, ...(args.gates.verify ? [args.gates.verify] : [])];
  const out: DeployPost = {};
  // `<service>: <deployment>` of every service: changes exactly when a deploy happened.
  const deployments = deploymentsOf(args.platform.services);
  const deploysDigest = deployments.apply((d) =>
    createHash("sha256")
      .update(JSON.stringify(Object.entries(d).sort()))
      .digest("hex")
      .slice(0, 12),
  );

  const watch = cfg.gates.watch;
  if (watch) {
    const targets = watchedServices(cfg).map((s) =>
      args.platform.services[s.name].url.apply((u): WatchTarget => {
        if (!u)
          throw new Error(
            `gates.watch.services: service "${s.name}" has no URL to sample; watch a web or private service`,
          );
        return { service: s.name, url: `${u.replace(/\/+$/, "")}${s.healthCheckPath ?? "/"}` };
      }),
    );
    out.watch = new PostDeployWatch(
      "post-deploy-watch",
      {
        targets,
        // The watch re-runs on every deploy (a redeploy with the same revision too), like the suites.
        revision: pulumi.interpolate`${args.revision}+${deploysDigest}`,
        baseline: args.pre.baseline?.figures,
        windowSeconds: watch.windowSeconds,
        intervalSeconds: watch.intervalSeconds,
        requestTimeoutMs: watch.requestTimeoutMs,
        thresholds: {
          maxErrorRatePercent: watch.maxErrorRatePercent,
          maxLatencyIncreasePercent: watch.maxLatencyIncreasePercent,
          minLatencyIncreaseMs: watch.minLatencyIncreaseMs,
          ...(watch.maxP95Ms !== undefined ? { maxP95Ms: watch.maxP95Ms } : {}),
        },
        rollback: watch.rollback,
        rollbackTargets: Object.fromEntries(
          Object.values(args.platform.services).map((s) => [s.name, s.rollback]),
        ),
        evidence: args.pre.evidence,
      },
      args.rollback,
      { parent, dependsOn: [...ready, ...gateResources] },
    );
  }

  if (ledgerEnabled(cfg)) {
    // A new record whenever a deploy happened (any service's deployment) or a gate ran again.
    const runKey = pulumi
      .all([
        args.revision,
        deploysDigest,
        ...suites.map((s) => s.ranAt),
        out.watch?.watchedAt,
        args.pre.backup?.takenAt,
      ])
      .apply((parts) => parts.map((p) => p ?? "-").join("|"));
    out.evidence = new EvidenceRecord(
      "evidence",
      {
        ledger: ledgerTarget(args),
        checks: recordedChecks(args.gates),
        deployments,
        watch: out.watch?.figures,
        backup: args.pre.backup
          ? { path: args.pre.backup.path, sizeBytes: args.pre.backup.sizeBytes }
          : undefined,
        runKey,
        webhooks: webhooksOf(cfg, args.secrets),
        notifyTimeoutMs: cfg.gates.notifications?.timeoutMs ?? 5000,
      },
      { parent, dependsOn: [...ready, ...gateResources, ...(out.watch ? [out.watch] : [])] },
    );
    // With gates.ledger.s3 the record itself goes to the bucket (LedgerContext.s3), like the
    // failure and monitor records: one writer, one object per record.
  }
  return out;
}
