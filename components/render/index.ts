/**
 * The render platform: turns the validated config into Render services, complete merged env-var
 * sets and deploy steps (DESIGN.md, "Platforms"), and hands back per service what the gates need.
 *
 * Order per service: service created/updated → env set pushed → deploy (pinned image, waits until
 * live) → ready. Services of a higher wave deploy after every deploy of lower waves and after the
 * wave gates `beforeWave` returns (docs/waves.md); services in `fleet.rollout.scaleDown` are scaled
 * to 0 before the first deploy and back up after their own.
 */
import * as pulumi from "@pulumi/pulumi";
import { PlainOrSecret } from "../../config/primitives";
import { EnvSetConfig, PlatformConfig, ServiceConfig, StackConfig } from "../../config/schema";
import { wavePlan } from "../../config/waves";
import { Deploy } from "../../providers/render/deploy";
import { EnvVarSet } from "../../providers/render/envVarSet";
import { Scale } from "../../providers/render/scale";
import { RenderService } from "../../providers/render/service";
import {
  DeployedService,
  PlatformArgs,
  PlatformBuilder,
  PlatformResult,
  RollbackTarget,
  WaveHook,
} from "../platform";
import { SecretResolver } from "../secrets";

type RenderPlatformConfig = Extract<PlatformConfig, { kind: "render" }>;

export interface RenderPlatformArgs {
  /** The validated stack config; `platform.kind` must be `render`. */
  config: StackConfig;
  /** Resolves secret references of env values. */
  secrets: SecretResolver;
  /** Resources every service waits for (pre-deploy gates). */
  before?: pulumi.Resource[];
  /** Longest wait for one deploy to become live (default 900 s). */
  deployTimeoutSeconds?: number;
  /** The fleet revision; scale steps run again when it changes (required with `fleet.rollout`). */
  revision?: string;
  /** Per-wave gates: every deploy of a wave waits for what this returns (docs/waves.md). */
  beforeWave?: WaveHook;
  /** The image each service deploys when not the config's reference (see `PlatformArgs.images`). */
  images?: Record<string, pulumi.Input<string>>;
}

/** One env-var set as pushed: which services, and per service the declared layers merged. */
export interface PlannedEnvSet {
  setName: string;
  /** Resource name suffix. */
  resourceName: string;
  services: string[];
  /** Per service: set layer, then the service's own overrides (the later layer wins). */
  layers: Record<string, Record<string, PlainOrSecret>>;
}

/**
 * The env sets to push: every configured set with each service's overrides applied, plus a set of
 * its own for each service that has overrides but is in no set.
 */
export function planEnvSets(services: ServiceConfig[], envSets: EnvSetConfig[]): PlannedEnvSet[] {
  const byName = new Map(services.map((s) => [s.name, s]));
  const inASet = new Set(envSets.flatMap((e) => e.services));
  const planned: PlannedEnvSet[] = envSets.map((set) => ({
    setName: set.name,
    resourceName: `env-${set.name}`,
    services: [...set.services],
    layers: Object.fromEntries(set.services.map((n) => [n, { ...set.vars, ...(byName.get(n)?.env ?? {}) }])),
  }));
  for (const s of services) {
    if (inASet.has(s.name) || Object.keys(s.env).length === 0) continue;
    planned.push({
      setName: `service:${s.name}`,
      resourceName: `env-own-${s.name}`,
      services: [s.name],
      layers: { [s.name]: { ...s.env } },
    });
  }
  return planned;
}

/** All Render resources of a fleet, as children of one component. */
export class RenderPlatform extends pulumi.ComponentResource {
  public readonly result: PlatformResult;

  constructor(name: string, args: RenderPlatformArgs, opts?: pulumi.ComponentResourceOptions) {
    super("fleetgate:render:Platform", name, {}, opts);
    const { config, secrets } = args;
    if (config.platform.kind !== "render") {
      throw new Error(
        `platform.kind: the render platform needs kind "render", got "${config.platform.kind}"`,
      );
    }
    const platform: RenderPlatformConfig = config.platform;
    if (platform.apiKey && !("secret" in platform.apiKey)) {
      throw new Error("platform.apiKey: use { secret: <config key> } set with `pulumi config set --secret`");
    }
    const api = {
      baseUrl: platform.baseUrl,
      apiKeyConfig: platform.apiKey?.secret,
      requestsPerSecond: platform.requestsPerSecond,
    };
    const fleet = config.fleet;

    const services = new Map<string, RenderService>();
    for (const s of fleet.services) {
      services.set(
        s.name,
        new RenderService(
          s.name,
          {
            name: s.name,
            serviceType: s.type,
            image: args.images?.[s.name] ?? s.image,
            public: s.type === "web",
            healthCheckPath: s.healthCheckPath,
            plan: s.plan,
            region: s.region ?? platform.region,
            instances: s.instances,
            dockerCommand: s.dockerCommand,
            preDeployCommand: s.preDeployCommand,
            schedule: s.schedule,
            ownerId: platform.ownerId,
            ...api,
          },
          { parent: this, dependsOn: args.before ?? [] },
        ),
      );
    }

    const envSetOf = new Map<string, EnvVarSet>();
    const envSets: PlatformResult["envSets"] = {};
    for (const plan of planEnvSets(fleet.services, fleet.envSets)) {
      const values: Record<string, Record<string, pulumi.Output<string>>> = {};
      const serviceKeys: Record<string, string[]> = {};
      const plainKeys = new Set<string>();
      for (const [svc, layer] of Object.entries(plan.layers)) {
        values[svc] = Object.fromEntries(Object.entries(layer).map(([k, v]) => [k, secrets.value(v)]));
        serviceKeys[svc] = Object.keys(layer).sort();
        for (const [k, v] of Object.entries(layer)) if (typeof v === "string") plainKeys.add(k);
      }
      const set = new EnvVarSet(
        plan.resourceName,
        {
          setName: plan.setName,
          services: plan.services,
          serviceIds: Object.fromEntries(plan.services.map((n) => [n, services.get(n)!.id])),
          environment: fleet.environment,
          keys: [...new Set(Object.values(serviceKeys).flat())].sort(),
          plainKeys: [...plainKeys].sort(),
          serviceKeys,
          values: pulumi.secret(values),
          ...api,
        },
        { parent: this },
      );
      for (const n of plan.services) envSetOf.set(n, set);
      envSets[plan.setName] = { foreignKeys: set.foreignKeys };
    }

    // Rollout: named services go to 0 instances before any deploy (docs/waves.md).
    const scaleDown = new Map<string, Scale>();
    const scaleArgs = (s: ServiceConfig, phase: "down" | "up") => {
      if (!args.revision) throw new Error("fleet.rollout: the render platform needs the fleet revision");
      return {
        serviceId: services.get(s.name)!.id,
        serviceName: s.name,
        phase,
        numInstances: phase === "down" ? 0 : s.instances,
        revision: args.revision,
        ...api,
      };
    };
    for (const name of fleet.rollout?.scaleDown ?? []) {
      const s = fleet.services.find((x) => x.name === name)!;
      scaleDown.set(
        name,
        new Scale(`${name}-scale-down`, scaleArgs(s, "down"), {
          parent: this,
          dependsOn: [services.get(name)!, ...(args.before ?? [])],
        }),
      );
    }

    // Waves: every deploy of a wave waits for all deploys of the lower waves and the wave's gates.
    const deploys = new Map<string, Deploy>();
    const deployed: Record<string, DeployedService> = {};
    const byName = new Map(fleet.services.map((s) => [s.name, s]));
    for (const [index, wave] of wavePlan(fleet).entries()) {
      const earlier = [...deploys.values()];
      const gates = args.beforeWave?.({ ...wave, index }, { ...deployed }) ?? [];
      for (const s of wave.services.map((n) => byName.get(n)!)) {
        const service = services.get(s.name)!;
        const set = envSetOf.get(s.name);
        const deploy = new Deploy(
          `${s.name}-deploy`,
          {
            serviceId: service.id,
            serviceName: s.name,
            image: args.images?.[s.name] ?? s.image,
            envVersion: set ? set.versions.apply((v) => v?.[s.name] ?? "none") : "none",
            timeoutSeconds: args.deployTimeoutSeconds,
            ...api,
          },
          {
            parent: this,
            dependsOn: [service, ...(set ? [set] : []), ...earlier, ...scaleDown.values(), ...gates],
          },
        );
        deploys.set(s.name, deploy);
        const down = scaleDown.get(s.name);
        const up = down
          ? new Scale(`${s.name}-scale-up`, scaleArgs(s, "up"), { parent: this, dependsOn: [deploy, down] })
          : undefined;
        const url: pulumi.Output<string | undefined> = s.url
          ? pulumi.output(s.url)
          : s.type === "web"
            ? service.url.apply((u) => u?.replace(/\/+$/, ""))
            : pulumi.output(undefined);
        deployed[s.name] = {
          name: s.name,
          id: service.id,
          url,
          deployment: pulumi.interpolate`${service.id}:${deploy.deployId}`,
          ready: [service, ...(set ? [set] : []), deploy, ...(up ? [up] : [])],
          rollback: pulumi
            .all([service.id, deploy.previousDeployId])
            .apply(([serviceId, previousDeployId]): RollbackTarget => ({
              platform: "render",
              baseUrl: platform.baseUrl,
              serviceId,
              ...(previousDeployId ? { previousDeployId } : {}),
            })),
        };
      }
    }

    this.result = { services: deployed, envSets };
    this.registerOutputs({
      serviceIds: pulumi.all(Object.fromEntries([...services].map(([n, s]) => [n, s.id]))),
      foreignKeys: pulumi.all(
        Object.fromEntries(Object.entries(envSets).map(([n, e]) => [n, e.foreignKeys])),
      ),
    });
  }
}

export const buildRenderPlatform: PlatformBuilder = (parent, args: PlatformArgs) =>
  new RenderPlatform(
    "render",
    {
      config: args.config,
      secrets: args.secrets,
      before: args.before,
      revision: args.revision,
      beforeWave: args.beforeWave,
      images: args.images,
    },
    { parent },
  ).result;
