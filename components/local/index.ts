/**
 * The local platform: every service of the fleet runs as a local process (providers/local),
 * each service's complete env (every layer that applies to it) is written as its env file with
 * the complete-merged-set rule, and services restart only when what they run or their own env
 * changes, or when the live check finds their deploy not running (docs/local.md, "Triggers").
 */
import * as pulumi from "@pulumi/pulumi";
import { isSecretRef } from "../../config/primitives";
import { ServiceConfig, StackConfig } from "../../config/schema";
import { wavePlan } from "../../config/waves";
import { EnvFile } from "../../providers/local/envfile";
import { LocalScale } from "../../providers/local/scale";
import { LocalService } from "../../providers/local/service";
import { declaredDeployKey } from "../gates";
import { DeployedService, PlatformBuilder, RollbackTarget } from "../platform";
import { SecretResolver } from "../secrets";
import { localStateDir } from "./stateDir";

export { localStateDir };

/**
 * One service's complete env as the local platform writes it: the union of every layer that
 * applies to it (the sets it belongs to, in config order, then its own overrides; a later layer
 * wins for the same key). The env file is owned per service, so renaming a set or moving a
 * service between sets changes one service's declared map and never deletes keys another set
 * still declares; and no two resources ever read-merge-write one file.
 */
export interface LocalServiceEnv {
  service: ServiceConfig;
  /** Names of the sets that apply, in config order. */
  sets: string[];
  vars: ServiceConfig["env"];
}

/** The env of every service that has any (sets or overrides). */
export function localServiceEnvs(cfg: StackConfig): LocalServiceEnv[] {
  return cfg.fleet.services
    .map((service) => {
      const sets = cfg.fleet.envSets.filter((e) => e.services.includes(service.name));
      const vars = Object.assign({}, ...sets.map((e) => e.vars), service.env) as ServiceConfig["env"];
      return { service, sets: sets.map((e) => e.name), vars };
    })
    .filter((e) => e.sets.length > 0 || Object.keys(e.vars).length > 0);
}

/**
 * Stacks made before env files were owned per service hold one `local:EnvFile` per set
 * (`<fleet>-env-<set>`, or `<fleet>-env-<service>` for a service with only overrides). Each such
 * resource becomes, through an alias, the env file of one of its services (a different one per
 * old resource), so the upgrade updates it in place instead of deleting it: a delete would run
 * the old code stored in the state and remove keys the new files declare. Returns the old
 * names per service.
 */
export function legacyEnvFileAliases(cfg: StackConfig): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  const taken = new Set<string>();
  const claim = (oldName: string, candidates: string[]) => {
    const svc = candidates.find((c) => !taken.has(c));
    if (!svc) return;
    taken.add(svc);
    (out[svc] ??= []).push(`${cfg.fleet.name}-env-${oldName}`);
  };
  for (const set of cfg.fleet.envSets) claim(set.name, set.services);
  const setNames = new Set(cfg.fleet.envSets.map((e) => e.name));
  for (const s of cfg.fleet.services) {
    if (cfg.fleet.envSets.some((e) => e.services.includes(s.name)) || !Object.keys(s.env).length) continue;
    claim(setNames.has(s.name) ? `${s.name}-own` : s.name, [s.name]);
  }
  return out;
}

function envFileFor(
  parent: pulumi.Resource,
  cfg: StackConfig,
  env: LocalServiceEnv,
  secrets: SecretResolver,
  stateDir: string,
  dependsOn: pulumi.Resource[],
  aliases: string[],
): EnvFile {
  const name = env.service.name;
  const keys = Object.keys(env.vars).sort();
  const values = pulumi.all({
    [name]: pulumi.all(Object.fromEntries(Object.entries(env.vars).map(([k, v]) => [k, secrets.value(v)]))),
  });
  return new EnvFile(
    `${cfg.fleet.name}-${name}-env`,
    {
      // The label policies and messages show: the layers of this service's env.
      setName: env.sets.length ? `${env.sets.join("+")} (service ${name})` : `service ${name}`,
      sets: env.sets,
      services: [name],
      environment: cfg.fleet.environment,
      keys,
      plainKeys: keys.filter((k) => !isSecretRef(env.vars[k])),
      values,
      stateDir,
    },
    { parent, dependsOn, aliases: aliases.map((name) => ({ name })) },
  );
}

export const buildLocalPlatform: PlatformBuilder = (parent, args) => {
  const cfg = args.config;
  const projectDir = process.cwd();
  const stateDir = localStateDir(cfg, projectDir, pulumi.getStack());
  // Services no smoke check covers judge their own deploy; covered ones leave it to the gate.
  const checked = new Set((cfg.gates.smoke?.checks ?? []).map((c) => c.target));

  const envFiles = new Map<string, EnvFile>();
  const legacy = legacyEnvFileAliases(cfg);
  for (const env of localServiceEnvs(cfg)) {
    const aliases = legacy[env.service.name] ?? [];
    envFiles.set(
      env.service.name,
      envFileFor(parent, cfg, env, args.secrets, stateDir, args.before, aliases),
    );
  }
  // Per set, the foreign keys of its services' files (keys no layer of the service declares).
  const foreignOf = (names: string[]) =>
    pulumi
      .all(names.flatMap((n) => (envFiles.has(n) ? [envFiles.get(n)!.foreignKeys] : [])))
      .apply((all) => Object.assign({}, ...all) as Record<string, string[]>);
  const envSets: Record<string, { foreignKeys: pulumi.Output<Record<string, string[]>> }> = {};
  for (const set of cfg.fleet.envSets) envSets[set.name] = { foreignKeys: foreignOf(set.services) };
  for (const s of cfg.fleet.services) {
    if (!cfg.fleet.envSets.some((e) => e.services.includes(s.name)) && Object.keys(s.env).length) {
      envSets[envSets[s.name] ? `${s.name}-own` : s.name] = { foreignKeys: foreignOf([s.name]) };
    }
  }

  // Rollout (docs/waves.md): named services are stopped before any service (re)starts; each
  // one's own LocalService then finds it down and starts it in its wave, and `up` checks it runs.
  const scaleDown = new Map<string, LocalScale>();
  for (const name of cfg.fleet.rollout?.scaleDown ?? []) {
    const s = cfg.fleet.services.find((x) => x.name === name)!;
    // Before the deploys: keyed on what is declared (the deploy key covers secret env values too).
    const scaleArgs = {
      service: name,
      stateDir,
      port: s.local!.port,
      revision: args.revision,
      deployKey: declaredDeployKey(cfg, args.secrets, args.images),
    };
    scaleDown.set(
      name,
      new LocalScale(
        `${cfg.fleet.name}-${name}-scale-down`,
        { ...scaleArgs, phase: "down" },
        { parent, dependsOn: args.before },
      ),
    );
  }

  // Waves: a service starts only after every service of a lower wave is up and the wave's gates
  // (the previous wave's smoke suite, docs/waves.md) passed.
  const services: Record<string, DeployedService> = {};
  const started: LocalService[] = [];
  const byName = new Map(cfg.fleet.services.map((s) => [s.name, s]));
  for (const [index, wave] of wavePlan(cfg.fleet).entries()) {
    const thisWave: LocalService[] = [];
    const gates = args.beforeWave?.({ ...wave, index }, { ...services }) ?? [];
    for (const s of wave.services.map((n) => byName.get(n)!)) {
      const local = s.local!;
      const envFile = envFiles.get(s.name);
      const svc = new LocalService(
        `${cfg.fleet.name}-${s.name}`,
        {
          name: s.name,
          serviceType: s.type,
          image: args.images?.[s.name] ?? s.image,
          public: s.type === "web",
          healthCheckPath: s.healthCheckPath,
          command: local.command,
          port: local.port,
          projectDir,
          stateDir,
          startTimeoutSeconds: local.startTimeoutSeconds,
          envGeneration: envFile ? envFile.generations.apply((g) => g[s.name] ?? 0) : 0,
          failOnUnhealthy: !checked.has(s.name),
        },
        {
          parent,
          dependsOn: [
            ...args.before,
            ...(envFile ? [envFile] : []),
            ...started,
            ...scaleDown.values(),
            ...gates,
          ],
        },
      );
      thisWave.push(svc);
      const down = scaleDown.get(s.name);
      const up = down
        ? new LocalScale(
            `${cfg.fleet.name}-${s.name}-scale-up`,
            {
              service: s.name,
              stateDir,
              port: local.port,
              revision: args.revision,
              // After the deploy: keyed on it, so every deploy of the service checks it runs again.
              deployment: pulumi.interpolate`${s.name}:${svc.deployId}`,
              phase: "up",
            },
            { parent, dependsOn: [svc, down] },
          )
        : undefined;
      const rollback: RollbackTarget = { platform: "local", stateDir, service: s.name };
      services[s.name] = {
        name: s.name,
        id: svc.id,
        url: svc.url,
        deployment: pulumi.interpolate`${s.name}:${svc.deployId}`,
        ready: [svc, ...(envFile ? [envFile] : []), ...(up ? [up] : [])],
        rollback: pulumi.output(rollback),
      };
    }
    started.push(...thisWave);
  }
  return { services, envSets };
};
