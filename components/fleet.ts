/**
 * The Fleet: the one component `index.ts` builds. It wires the flow of one `pulumi up`
 * (DESIGN.md): pre-deploy gates → services and env sets on the platform → smoke suite →
 * integrity verify, with CI workflows and alarms declared beside them.
 */
import * as pulumi from "@pulumi/pulumi";
import { unpinnedReason } from "../config/image";
import { StackConfig } from "../config/schema";
import { buildLocalPlatform } from "./local";
import { PlatformBuilder, PlatformResult } from "./platform";
import { buildRenderPlatform } from "./render";
import { fleetRevision } from "./revision";
import { SecretResolver, secretResolver } from "./secrets";

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

  constructor(name: string, args: FleetArgs, opts?: pulumi.ComponentResourceOptions) {
    super("fleetgate:fleet:Fleet", name, {}, opts);
    const cfg = args.config;
    // The schema already refused unpinned images; this guards callers that build a Fleet from
    // a hand-made object instead of a validated config.
    cfg.fleet.services.forEach((s, i) => {
      const reason = unpinnedReason(s.image, cfg.fleet.floatingTags);
      if (reason) throw new Error(`fleet.services[${i}].image: ${reason}`);
    });
    this.revision = fleetRevision(cfg.fleet);
    const secrets = args.secrets ?? secretResolver();

    this.platform = PLATFORMS[cfg.platform.kind](this, {
      config: cfg,
      secrets,
      revision: this.revision,
      before: [],
    });

    this.serviceUrls = pulumi
      .all(Object.values(this.platform.services).map((s) => pulumi.all([s.name, s.url])))
      .apply((pairs) => Object.fromEntries(pairs.filter((p): p is [string, string] => p[1] !== undefined)));
    this.foreignKeys = pulumi
      .all(Object.entries(this.platform.envSets).map(([set, r]) => pulumi.all([set, r.foreignKeys])))
      .apply((pairs) => Object.fromEntries(pairs));

    this.registerOutputs({
      revision: this.revision,
      serviceUrls: this.serviceUrls,
      foreignKeys: this.foreignKeys,
    });
  }
}
