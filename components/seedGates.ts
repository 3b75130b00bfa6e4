/**
 * Wiring of the seed practices (issue 19) for the components that build the gates: each
 * function builds one resource from the stack config, so `components/deploy.ts` and
 * `components/gates.ts` need one call each (docs/restore-drills.md, docs/deploy-features.md,
 * docs/log-checks.md, docs/worker-liveness.md, docs/sql-checks.md).
 */
import * as pulumi from "@pulumi/pulumi";
import type { CheckConfig } from "../config/checks";
import type { StackConfig } from "../config/schema";
import { livenessSourceFor } from "../lib/checks/kinds/liveness";
import { logSourceFor } from "../lib/checks/kinds/logSources";
import type { LedgerContext } from "../lib/ledger/context";
import type { LivenessSource, LogSource } from "../lib/checks/types";
import type { Backup } from "../providers/backup/backup";
import { RestoreDrill } from "../providers/backup/restoreDrill";
import type { SqlCheck } from "../providers/checks/db/sqlExpect";
import { DeployAnnouncement } from "../providers/notify/announcement";
import type { SecretResolver } from "./secrets";

/** The RestoreDrill that proves the Backup's dump; undefined unless `gates.backup.restoreDrill.onDeploy`. */
export function buildRestoreDrill(
  parent: pulumi.Resource,
  args: {
    config: StackConfig;
    secrets: SecretResolver;
    backup: Backup;
    evidence?: pulumi.Output<LedgerContext>;
  },
): RestoreDrill | undefined {
  const backup = args.config.gates.backup;
  const drill = backup?.restoreDrill;
  if (!backup || !drill?.onDeploy) return undefined;
  const connection = backup.connection ?? args.config.gates.integrity?.connection;
  if (connection === undefined)
    throw new Error("gates.backup.connection: is required; set { secret: databaseUrl }");
  return new RestoreDrill(
    "restore-drill",
    {
      source: args.secrets.value(connection),
      scratchServer: drill.scratchServer === undefined ? undefined : args.secrets.value(drill.scratchServer),
      dumpPath: args.backup.path,
      criticalTables: args.config.gates.integrity?.criticalTables ?? [],
      rowTolerancePercent: drill.rowTolerancePercent,
      timeoutSeconds: backup.timeoutSeconds,
      evidence: args.evidence,
    },
    { parent, dependsOn: [args.backup] },
  );
}

/** The announcement before the change; undefined unless some webhook listens for `start`. */
export function buildAnnouncement(
  parent: pulumi.Resource,
  args: {
    config: StackConfig;
    secrets: SecretResolver;
    stack: string;
    revision: string;
    /** The image each service deploys when not the config's (released, promoted, resolved digests). */
    images?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  },
): DeployAnnouncement | undefined {
  const notifications = args.config.gates.notifications;
  const hooks = (notifications?.webhooks ?? []).filter((w) => w.on.includes("start"));
  if (!notifications || hooks.length === 0) return undefined;
  const cfg = args.config;
  return new DeployAnnouncement(
    "deploy-announcement",
    {
      stack: args.stack,
      fleet: cfg.fleet.name,
      environment: cfg.fleet.environment,
      revision: args.revision,
      images: pulumi.output(args.images ?? {}).apply((deployed) => ({
        ...Object.fromEntries(cfg.fleet.services.map((s) => [s.name, s.image])),
        ...(deployed as Record<string, string>),
      })),
      webhooks: pulumi.all(
        hooks.map((w) =>
          pulumi
            .all([w.name, args.secrets.value(w.url), w.on])
            .apply(([name, url, on]) => ({ name, url, on })),
        ),
      ),
      timeoutMs: notifications.timeoutMs,
    },
    { parent },
  );
}

/** `gates.integrity.sql` as the IntegrityVerify's `sql` input. */
export function integritySqlChecks(config: StackConfig): SqlCheck[] {
  return config.gates.integrity?.sql ?? [];
}

/** Check kinds that read the platform instead of calling a URL (a worker may be their target). */
export function checkNeedsUrl(check: CheckConfig): boolean {
  return check.kind !== "log" && check.kind !== "liveness";
}

/** The source fields a `log` or `liveness` check needs, for a deployed service's id. */
export function checkSourceFields(
  check: CheckConfig,
  args: { config: StackConfig; serviceId: string; localStateDir?: string; projectDir: string },
): { logSource?: LogSource; livenessSource?: LivenessSource } {
  const platform = args.config.platform;
  if (check.kind === "log") {
    return {
      logSource: logSourceFor({
        check,
        platform,
        serviceId: args.serviceId,
        localStateDir: args.localStateDir,
        projectDir: args.projectDir,
      }),
    };
  }
  if (check.kind === "liveness") {
    return {
      livenessSource: livenessSourceFor({
        service: check.target,
        platform,
        serviceId: args.serviceId,
        localStateDir: args.localStateDir,
      }),
    };
  }
  return {};
}
