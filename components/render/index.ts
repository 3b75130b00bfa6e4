/**
 * The render platform: turns the validated config into Render services, one complete env-var
 * map per service and deploy steps (docs/render.md), and hands back per service what the gates
 * need. The Render resources are custom resources of the fleetgate provider plugin (provider/).
 *
 * Order per service: service created/updated → env vars pushed → deploy (pinned image, waits until
 * live) → ready. Services of a higher wave deploy after every deploy of lower waves and after the
 * wave gates `beforeWave` returns (docs/waves.md); services in `fleet.rollout.scaleDown` are scaled
 * to 0 before the first deploy and back up after their own.
 *
 * Children are named after this component (`<name>-<service>`, `<name>-<service>-env`, …) so two
 * platforms in one program do not collide; `aliases` keep the names earlier versions used.
 */
import * as pulumi from "@pulumi/pulumi";
import { PlatformConfig, ServiceConfig, StackConfig } from "../../config/schema";
import { diskName, renderDiskPayload } from "../../config/disks";
import { wavePlan } from "../../config/waves";
import { Deploy } from "../../provider/sdk/deploy";
import { EnvVars } from "../../provider/sdk/envVars";
import { RegistryCredential } from "../../provider/sdk/registryCredential";
import { Scale } from "../../provider/sdk/scale";
import { Service } from "../../provider/sdk/service";
import {
  DeployedService,
  PlatformArgs,
  PlatformBuilder,
  PlatformResult,
  RollbackTarget,
  WaveHook,
} from "../platform";
import { SecretResolver } from "../secrets";
import { planServiceEnv, servicesBySet } from "./envPlan";

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

/** What a deletion policy means as resource options (applied to a service and its children). */
export function deletionOptions(
  policy: "delete" | "retain" | "protect",
): Pick<pulumi.CustomResourceOptions, "protect" | "retainOnDelete"> {
  if (policy === "protect") return { protect: true };
  if (policy === "retain") return { retainOnDelete: true };
  return {};
}

/** The effective deletion policy: the config's, else `protect` on prod and `delete` elsewhere. */
export function deletionPolicyOf(config: StackConfig): "delete" | "retain" | "protect" {
  const platform = config.platform;
  const declared = platform.kind === "render" ? platform.deletionPolicy : undefined;
  return declared ?? (config.fleet.environment === "prod" ? "protect" : "delete");
}

/** Aliases for a child: its names before (`<old>` under the same parent) for each former name. */
function aliasesOf(names: string[]): pulumi.Alias[] {
  return [...new Set(names)].map((name) => ({ name }));
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
    const keep = deletionOptions(deletionPolicyOf(config));
    /** Names a service's child had: today's scheme and the one before components named children. */
    const formerNames = (s: ServiceConfig) => [s.name, ...(s.previousNames ?? [])];
    const child = (s: ServiceConfig, suffix: string, legacy: (n: string) => string) => ({
      name: `${name}-${s.name}${suffix}`,
      aliases: aliasesOf([
        ...formerNames(s).map(legacy),
        ...(s.previousNames ?? []).map((n) => `${name}-${n}${suffix}`),
      ]),
    });

    // Registry credentials fleetgate manages (private images); services refer to them by name.
    const credentials = new Map<string, RegistryCredential>();
    for (const c of platform.registryCredentials) {
      credentials.set(
        c.name,
        new RegistryCredential(
          `${name}-registry-${c.name}`,
          {
            name: c.name,
            registry: c.registry,
            username: c.username,
            authToken: secrets.resolve(c.authToken),
            ownerId: platform.ownerId,
            ...api,
          },
          { parent: this, ...keep },
        ),
      );
    }

    const services = new Map<string, Service>();
    for (const s of fleet.services) {
      const c = child(s, "", (n) => n);
      services.set(
        s.name,
        new Service(
          c.name,
          {
            name: s.name,
            serviceType: s.type,
            image: args.images?.[s.name] ?? s.image,
            healthCheckPath: s.type === "web" ? s.healthCheckPath : undefined,
            plan: s.plan,
            region: s.region ?? platform.region,
            instances: s.instances,
            dockerCommand: s.dockerCommand,
            preDeployCommand: s.preDeployCommand,
            schedule: s.schedule,
            ownerId: platform.ownerId,
            registryCredentialId: s.registryCredential
              ? credentials.get(s.registryCredential)!.id
              : s.registryCredentialId,
            adopt: s.adopt ?? platform.adopt,
            disk: renderDiskPayload(s),
            // For the policy pack (stateful-disk): the config's mark, only where it is set.
            ...(s.stateful ? { stateful: true } : {}),
            ...api,
          },
          { parent: this, dependsOn: args.before ?? [], aliases: c.aliases, ...keep },
        ),
      );
    }

    // One complete env map per service (HELPERS item 5): renaming a set or moving a service
    // between sets changes that service's map only.
    const envOf = new Map<string, EnvVars>();
    for (const [svc, plan] of Object.entries(planServiceEnv(fleet.services, fleet.envSets))) {
      const s = fleet.services.find((x) => x.name === svc)!;
      envOf.set(
        svc,
        new EnvVars(
          child(s, "-env", (n) => `${n}-env`).name,
          {
            serviceId: services.get(svc)!.id,
            serviceName: svc,
            vars: Object.fromEntries(
              Object.entries(plan.vars).map(([k, v]) => [k, typeof v === "string" ? v : secrets.value(v)]),
            ),
            sources: plan.sources,
            // For the policy pack: the environment, and which declared values are plain config.
            environment: fleet.environment,
            plainKeys: Object.entries(plan.vars)
              .filter(([, v]) => typeof v === "string")
              .map(([k]) => k)
              .sort(),
            ...api,
          },
          {
            parent: this,
            dependsOn: [services.get(svc)!],
            aliases: child(s, "-env", (n) => `${n}-env`).aliases,
            ...keep,
          },
        ),
      );
    }
    const envSets: PlatformResult["envSets"] = {};
    for (const [setName, members] of Object.entries(servicesBySet(fleet.envSets))) {
      envSets[setName] = {
        foreignKeys: pulumi.all(
          Object.fromEntries(
            members
              .filter((m) => envOf.has(m))
              .map((m) => [m, envOf.get(m)!.foreignKeys as pulumi.Output<string[]>]),
          ),
        ),
      };
    }

    // A service with its own env and in no set reports its foreign keys under `service:<name>`.
    const inASet = new Set(fleet.envSets.flatMap((e) => e.services));
    for (const [svc, env] of envOf) {
      if (!inASet.has(svc))
        envSets[`service:${svc}`] = { foreignKeys: pulumi.all({ [svc]: env.foreignKeys }) };
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
    for (const svcName of fleet.rollout?.scaleDown ?? []) {
      const s = fleet.services.find((x) => x.name === svcName)!;
      const c = child(s, "-scale-down", (n) => `${n}-scale-down`);
      scaleDown.set(
        svcName,
        new Scale(c.name, scaleArgs(s, "down"), {
          parent: this,
          dependsOn: [services.get(svcName)!, ...(args.before ?? [])],
          aliases: c.aliases,
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
        const env = envOf.get(s.name);
        const c = child(s, "-deploy", (n) => `${n}-deploy`);
        const deploy = new Deploy(
          c.name,
          {
            serviceId: service.id,
            serviceName: s.name,
            image: args.images?.[s.name] ?? s.image,
            envVersion: env ? env.version : "none",
            // Whatever shapes the running process: a change redeploys (a PATCH alone does not).
            runSettings: {
              dockerCommand: s.dockerCommand ?? "",
              preDeployCommand: s.preDeployCommand ?? "",
              plan: s.plan ?? "",
              healthCheckPath: s.type === "web" ? (s.healthCheckPath ?? "") : "",
              // Render attaches a new or moved disk on the next deploy (a resize needs none).
              ...(s.disk ? { disk: `${diskName(s)}@${s.disk.mountPath}` } : {}),
            },
            timeoutSeconds: args.deployTimeoutSeconds,
            ...api,
          },
          {
            parent: this,
            dependsOn: [service, ...(env ? [env] : []), ...earlier, ...scaleDown.values(), ...gates],
            aliases: c.aliases,
            ...keep,
          },
        );
        deploys.set(s.name, deploy);
        const down = scaleDown.get(s.name);
        const up = down
          ? new Scale(child(s, "-scale-up", (n) => `${n}-scale-up`).name, scaleArgs(s, "up"), {
              parent: this,
              dependsOn: [deploy, down],
              aliases: child(s, "-scale-up", (n) => `${n}-scale-up`).aliases,
            })
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
          ready: [service, ...(env ? [env] : []), deploy, ...(up ? [up] : [])],
          rollback: pulumi
            .all([service.id, deploy.previousDeployId])
            .apply(([serviceId, previousDeployId]): RollbackTarget => ({
              platform: "render",
              baseUrl: platform.baseUrl,
              serviceId,
              ...(previousDeployId ? { previousDeployId } : {}),
              ...(api.apiKeyConfig ? { apiKeyConfig: api.apiKeyConfig } : {}),
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
