/**
 * The seam between the Fleet and the platform it deploys to (Render or local processes).
 * Each platform module turns the validated config into resources and hands back, per service,
 * what the gates need: where to reach it, what to depend on and how to roll it back.
 */
import * as pulumi from "@pulumi/pulumi";
import { StackConfig } from "../config/schema";
import { SecretResolver } from "./secrets";

/** Plain JSON that tells a platform's rollback code how to undo the last deploy of one service. */
export type RollbackTarget =
  | {
      platform: "render";
      baseUrl: string;
      serviceId: string;
      previousDeployId?: string;
      /** Config key (in `fleetgate:`) holding the API key (`platform.apiKey.secret`); `renderApiKey` when unset. */
      apiKeyConfig?: string;
    }
  | { platform: "local"; stateDir: string; service: string; previousRevision?: string };

export interface DeployedService {
  name: string;
  /** Platform id (`srv-...` on Render, the local service name on the local platform). */
  id: pulumi.Output<string>;
  /** Base URL the checks call (no trailing slash); undefined for workers. */
  url: pulumi.Output<string | undefined>;
  /**
   * Identifies the deploy that is live for this service after this update (`<platform id>:<deploy
   * id>`). It changes exactly when a deploy happened in this update, so the gates key on it: any
   * redeploy (image, env value, run setting, a correction of drift or of a rollback) re-runs
   * them, and an update that deployed nothing does not (docs/design.md, "Triggers").
   */
  deployment: pulumi.Output<string>;
  /** Resources the gates must wait for: the service, its env set push and its deploy. */
  ready: pulumi.Resource[];
  /** How to roll this service back to its previous deploy. */
  rollback: pulumi.Output<RollbackTarget>;
}

export interface PlatformResult {
  services: Record<string, DeployedService>;
  /** Env-var sets by name; `foreignKeys` are keys found on the platform that the set does not own. */
  envSets: Record<string, { foreignKeys: pulumi.Output<Record<string, string[]>> }>;
}

export interface PlatformArgs {
  config: StackConfig;
  secrets: SecretResolver;
  /** The fleet revision (hash of images and env declarations). */
  revision: string;
  /**
   * The image each service deploys, by service name, when it is not the config's reference
   * (a digest resolved from the registry, a release input, a promoted stack's output). Platforms
   * deploy `images[name] ?? service.image`.
   */
  images?: Record<string, pulumi.Input<string>>;
  /** Resources that must complete before any service changes (integrity snapshot, backup). */
  before: pulumi.Resource[];
  /**
   * Per-wave gates (docs/waves.md): called once per effective wave, lowest first, before that
   * wave's services are built, with every service deployed so far. Every deploy of the wave
   * depends on the resources it returns (e.g. the smoke suite of the previous wave).
   */
  beforeWave?: WaveHook;
}

/** See `PlatformArgs.beforeWave`; `index` is the wave's position (0 = first wave). */
export type WaveHook = (
  wave: { wave: number; index: number; services: string[] },
  deployedSoFar: Record<string, DeployedService>,
) => pulumi.Resource[];

export type PlatformBuilder = (parent: pulumi.ComponentResource, args: PlatformArgs) => PlatformResult;
