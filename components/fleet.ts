/**
 * The Fleet: the one component `index.ts` builds. It wires the flow of one `pulumi up`
 * (docs/design.md): pre-deploy gates → services and env sets on the platform → smoke suite →
 * integrity verify, with CI workflows and alarms declared beside them.
 */
import * as pulumi from "@pulumi/pulumi";
import { unpinnedReason } from "../config/image";
import { ledgerFile } from "../lib/ledger/path";
import { StackConfig } from "../config/schema";
import { Alarms } from "./alarms";
import { CiPipeline } from "./ci";
import { buildDeployPost, buildDeployPre, DeployPost, DeployPre, enforceErrorBudget } from "./deploy";
import {
  buildPostDeployGates,
  buildPreDeployGates,
  buildWaveGates,
  platformRollback,
  PostDeployGates,
  PreDeployGates,
} from "./gates";
import { buildLocalPlatform, localStateDir } from "./local";
import { LocalMonitoring } from "./monitoring-local";
import { EvidenceBucket } from "./evidence";
import { PlatformBuilder, PlatformResult } from "./platform";
import { ReleaseImages } from "./release";
import { buildRenderPlatform } from "./render";
import { fleetRevision } from "./revision";
import { generatedSecrets, SecretResolver, secretResolver } from "./secrets";

export interface FleetArgs {
  /** The validated stack config (see config/load.ts). */
  config: StackConfig;
  /** Overrides how secret references resolve (tests); defaults to the stack's secret config. */
  secrets?: SecretResolver;
}

const PLATFORMS: Record<StackConfig["platform"]["kind"], PlatformBuilder> = {
  render: buildRenderPlatform,
  local: buildLocalPlatform,
};

export class Fleet extends pulumi.ComponentResource {
  /** Hash of every image reference and env declaration; gates re-run when it changes. */
  public readonly revision: string;
  /** Base URL of every service that has one. */
  public readonly serviceUrls: pulumi.Output<Record<string, string>>;
  /** Per env-var set, per service: keys found on the platform that the set does not own. */
  public readonly foreignKeys: pulumi.Output<Record<string, Record<string, string[]>>>;
  public readonly platform: PlatformResult;
  /** The deploy gates (absent parts are not configured); e.g. `gates.post.smoke?.table`. */
  public readonly gates: { pre: PreDeployGates; post: PostDeployGates };
  /** Alarms, health monitor and Prometheus rules, when the stack has an `alarms` section. */
  public readonly alarms?: Alarms;
  /** The S3 evidence bucket, when `gates.ledger.s3.declareBucket` is set. */
  public readonly evidenceBucket?: EvidenceBucket;
  /** Prometheus and Alertmanager of the local stack, when `alarms.localMonitoring` is set. */
  public readonly monitoring?: LocalMonitoring;
  /** Workflows, environment and branch protection, when the stack has a `ci` section. */
  public readonly ci?: CiPipeline;
  /** Backup, post-deploy watch and evidence record (components/deploy.ts), when configured. */
  public readonly deploy: { pre: DeployPre; post: DeployPost };
  /** Where each service's image comes from, when the stack has a `release` section (docs/release.md). */
  public readonly release?: ReleaseImages;
  /**
   * Service → `repo@sha256:…` deployed by this update, resolved only after every gate passed
   * (smoke, integrity, watch, evidence record): the output other stacks promote from.
   */
  public readonly releasedImages: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: FleetArgs, opts?: pulumi.ComponentResourceOptions) {
    // The error-budget freeze refuses new images before anything is registered (docs/deploy-features.md).
    const stack = pulumi.getStack();
    const projectDir = process.cwd();
    const localDir =
      args.config.platform.kind === "local" ? localStateDir(args.config, projectDir, stack) : undefined;
    const ledger = ledgerFile(projectDir, stack, args.config.gates.ledger?.path, localDir);
    const freeze = enforceErrorBudget(args.config, ledger, stack);
    super("fleetgate:fleet:Fleet", name, {}, opts);
    const cfg = args.config;
    // The schema already refused unpinned images; this guards callers that build a Fleet from
    // a hand-made object instead of a validated config.
    cfg.fleet.services.forEach((s, i) => {
      const reason = unpinnedReason(s.image, cfg.fleet.floatingTags);
      if (reason) throw new Error(`fleet.services[${i}].image: ${reason}`);
    });
    // The release input changes what runs, so it changes the revision (docs/release.md).
    this.revision = fleetRevision(
      cfg.releaseImages
        ? {
            ...cfg.fleet,
            services: cfg.fleet.services.map((s) => ({
              ...s,
              image: cfg.releaseImages?.[s.name] ?? s.image,
            })),
          }
        : cfg.fleet,
    );
    // The stack generates its own secrets (API keys, signing secrets) once, kept secret in state.
    const generated = generatedSecrets(this, cfg);
    const secrets = args.secrets ?? secretResolver({ generated });
    // Released, promoted and resolved images (components/release.ts), before anything deploys.
    if (cfg.release)
      this.release = new ReleaseImages(`${name}-release`, { config: cfg, secrets }, { parent: this });
    const images = this.release?.images;

    // Deploy gates (components/gates.ts, docs/gates.md): snapshot before, smoke + verify after.
    const preGates = buildPreDeployGates(this, {
      config: cfg,
      secrets,
      revision: this.revision,
      ...(images ? { images } : {}),
    });
    const deployArgs = {
      config: cfg,
      secrets,
      revision: this.revision,
      stack,
      projectDir,
      ledgerFile: ledger,
      freeze,
      ...(this.release
        ? { images: pulumi.all(this.release.images), imageSources: this.release.sources }
        : {}),
    };
    const deployPre = buildDeployPre(this, deployArgs);
    const evidence = deployPre.evidence;
    // The evidence bucket, when this stack declares it, exists before anything writes to it.
    const ledgerS3 = cfg.gates.ledger?.s3;
    if (ledgerS3?.declareBucket) {
      if (cfg.platform.kind === "local")
        throw new Error(
          "gates.ledger.s3.declareBucket: the local platform registers no AWS resources; create the bucket in an AWS stack (or by hand) and remove declareBucket here",
        );
      this.evidenceBucket = new EvidenceBucket(
        `${name}-evidence`,
        {
          bucket: ledgerS3.bucket,
          region: ledgerS3.region,
          environment: cfg.fleet.environment,
          objectLockDays: ledgerS3.objectLockDays,
          tags: { "fleetgate:fleet": cfg.fleet.name, "fleetgate:environment": cfg.fleet.environment },
        },
        { parent: this },
      );
      deployPre.before.push(this.evidenceBucket);
    }
    const waveGates = buildWaveGates(this, { config: cfg, secrets, revision: this.revision, evidence });
    this.platform = PLATFORMS[cfg.platform.kind](this, {
      config: cfg,
      secrets,
      revision: this.revision,
      ...(images ? { images } : {}),
      before: [...preGates.before, ...deployPre.before],
      // Per-wave smoke suites (docs/waves.md): wave n deploys only after wave n-1 passed its checks.
      beforeWave: waveGates.beforeWave,
    });
    const postGates = buildPostDeployGates(this, {
      config: cfg,
      secrets,
      revision: this.revision,
      platform: this.platform,
      pre: preGates,
      waves: waveGates,
      evidence,
    });
    this.gates = { pre: preGates, post: postGates };
    // Post-deploy watch, then the evidence record (after every gate passed).
    const deployPost = buildDeployPost(this, {
      ...deployArgs,
      platform: this.platform,
      pre: deployPre,
      gates: postGates,
      rollback: platformRollback(cfg.platform.kind),
    });
    this.deploy = { pre: deployPre, post: deployPost };

    this.releasedImages = releasedAfterGates(cfg, images, this.platform, [
      postGates.smokeResults,
      postGates.verify?.problems,
      deployPost.watch?.table,
      deployPost.evidence?.record,
    ]);

    this.serviceUrls = pulumi
      .all(Object.values(this.platform.services).map((s) => pulumi.all([s.name, s.url])))
      .apply((pairs) => Object.fromEntries(pairs.filter((p): p is [string, string] => p[1] !== undefined)));
    this.foreignKeys = pulumi
      .all(Object.entries(this.platform.envSets).map(([set, r]) => pulumi.all([set, r.foreignKeys])))
      .apply((pairs) => Object.fromEntries(pairs));

    // CI workflows, environments and branch protection (components/ci, docs/ci.md).
    if (cfg.ci) {
      this.ci = new CiPipeline(
        `${name}-ci`,
        {
          ci: cfg.ci,
          environment: cfg.fleet.environment,
          secrets,
          source: `Pulumi.${pulumi.getStack()}.yaml`,
        },
        { parent: this },
      );
    }

    // Alarms, the health monitor and Prometheus rules (components/alarms, docs/alarms.md).
    if (cfg.alarms) {
      this.alarms = new Alarms(
        `${name}-alarms`,
        { config: cfg, secrets, services: this.platform.services },
        { parent: this },
      );
    }
    // The local stack monitors itself (components/monitoring-local): after the services are up.
    // scripts/setup.sh sets FLEETGATE_LOCAL_MONITORING=off where it cannot install Prometheus
    // and Alertmanager (no apt, no root): the stack still comes up, with a warning.
    const monitoringOff = process.env.FLEETGATE_LOCAL_MONITORING === "off";
    if (cfg.alarms?.localMonitoring && monitoringOff) {
      pulumi.log.warn(
        "alarms.localMonitoring: FLEETGATE_LOCAL_MONITORING=off, so Prometheus and Alertmanager do not run " +
          "(install Debian's prometheus and prometheus-alertmanager, then run scripts/up-local.sh again)",
        this,
      );
    }
    if (cfg.alarms?.localMonitoring && !monitoringOff && localDir && this.alarms?.alertmanagerConfig) {
      this.monitoring = new LocalMonitoring(
        `${name}-monitoring`,
        {
          config: cfg,
          stateDir: localDir,
          rules: this.alarms.prometheusRules,
          alertmanagerConfig: this.alarms.alertmanagerConfig,
        },
        { parent: this, dependsOn: Object.values(this.platform.services).flatMap((s) => s.ready) },
      );
    }

    this.registerOutputs({
      revision: this.revision,
      serviceUrls: this.serviceUrls,
      foreignKeys: this.foreignKeys,
      releasedImages: this.releasedImages,
    });
  }
}

/**
 * The digest-pinned image of every service, resolved only once the deploys and every gate
 * resolved: a failed gate stops the update before this output is written, so another stack's
 * StackReference only ever reads images that passed (docs/release.md, "Promotion").
 */
function releasedAfterGates(
  cfg: StackConfig,
  images: Record<string, pulumi.Output<string>> | undefined,
  platform: PlatformResult,
  gates: (pulumi.Output<unknown> | undefined)[],
): pulumi.Output<Record<string, string>> {
  const deployed = cfg.fleet.services.map((s) =>
    pulumi.all([s.name, images?.[s.name] ?? s.image, platform.services[s.name]?.deployment]),
  );
  return pulumi
    .all([
      pulumi.all(deployed),
      pulumi.all(gates.filter((g): g is pulumi.Output<unknown> => g !== undefined)),
    ])
    .apply(([pairs]) =>
      Object.fromEntries(
        pairs.filter(([, ref]) => /@sha256:[a-f0-9]{64}$/.test(ref)).map(([name, ref]) => [name, ref]),
      ),
    );
}
