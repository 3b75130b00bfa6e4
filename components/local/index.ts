/**
 * The local platform: every service of the fleet runs as a local process (providers/local),
 * each env-var set is written as env files with the complete-merged-set rule, and services
 * restart only when what they run or their own env changes.
 */
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { isSecretRef } from "../../config/primitives";
import { ServiceConfig, StackConfig } from "../../config/schema";
import { wavePlan } from "../../config/waves";
import { EnvFile } from "../../providers/local/envfile";
import { LocalScale } from "../../providers/local/scale";
import { LocalService } from "../../providers/local/service";
import { DeployedService, PlatformBuilder, RollbackTarget } from "../platform";
import { SecretResolver } from "../secrets";

/** The state dir of the local stack: absolute, default `.fleetgate/local/<stack>` in the project. */
export function localStateDir(cfg: StackConfig, projectDir: string, stack: string): string {
  const configured = cfg.platform.kind === "local" ? cfg.platform.stateDir : undefined;
  return path.resolve(projectDir, configured ?? path.join(".fleetgate", "local", stack));
}

/** One env-var set as the local platform writes it: its services and their declared layers. */
interface LocalEnvSet {
  name: string;
  services: ServiceConfig[];
  vars: StackConfig["fleet"]["envSets"][number]["vars"];
}

/**
 * The sets to write: the declared ones, plus one set per service that has overrides but
 * belongs to no set (named after the service), so every declared var has an owner.
 */
export function localEnvSets(cfg: StackConfig): LocalEnvSet[] {
  const byName = new Map(cfg.fleet.services.map((s) => [s.name, s]));
  const sets: LocalEnvSet[] = cfg.fleet.envSets.map((e) => ({
    name: e.name,
    services: e.services.map((n) => byName.get(n)!),
    vars: e.vars,
  }));
  const covered = new Set(cfg.fleet.envSets.flatMap((e) => e.services));
  const taken = new Set(sets.map((s) => s.name));
  for (const s of cfg.fleet.services) {
    if (covered.has(s.name) || !Object.keys(s.env).length) continue;
    const name = taken.has(s.name) ? `${s.name}-own` : s.name;
    sets.push({ name, services: [s], vars: {} });
  }
  return sets;
}

function envFileFor(
  parent: pulumi.Resource,
  cfg: StackConfig,
  set: LocalEnvSet,
  secrets: SecretResolver,
  stateDir: string,
  dependsOn: pulumi.Resource[],
): EnvFile {
  const layered = set.services.map((s) => [s.name, { ...set.vars, ...s.env }] as const);
  const keys = [...new Set(layered.flatMap(([, vars]) => Object.keys(vars)))].sort();
  const plainKeys = keys.filter((k) => layered.every(([, vars]) => !(k in vars) || !isSecretRef(vars[k])));
  const values = pulumi.all(
    Object.fromEntries(
      layered.map(([svc, vars]) => [
        svc,
        pulumi.all(Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, secrets.value(v)]))),
      ]),
    ),
  );
  return new EnvFile(
    `${cfg.fleet.name}-env-${set.name}`,
    {
      setName: set.name,
      services: set.services.map((s) => s.name),
      environment: cfg.fleet.environment,
      keys,
      plainKeys,
      values,
      stateDir,
    },
    { parent, dependsOn },
  );
}

export const buildLocalPlatform: PlatformBuilder = (parent, args) => {
  const cfg = args.config;
  const projectDir = process.cwd();
  const stateDir = localStateDir(cfg, projectDir, pulumi.getStack());
  // Services no smoke check covers judge their own deploy; covered ones leave it to the gate.
  const checked = new Set((cfg.gates.smoke?.checks ?? []).map((c) => c.target));

  const envFiles = new Map<string, EnvFile>();
  const envSets: Record<string, { foreignKeys: pulumi.Output<Record<string, string[]>> }> = {};
  for (const set of localEnvSets(cfg)) {
    const file = envFileFor(parent, cfg, set, args.secrets, stateDir, args.before);
    envSets[set.name] = { foreignKeys: file.foreignKeys };
    for (const s of set.services) envFiles.set(s.name, file);
  }

  // Rollout (docs/waves.md): named services are stopped before any service (re)starts; each
  // one's own LocalService then finds it down and starts it in its wave, and `up` checks it runs.
  const scaleDown = new Map<string, LocalScale>();
  for (const name of cfg.fleet.rollout?.scaleDown ?? []) {
    const s = cfg.fleet.services.find((x) => x.name === name)!;
    const scaleArgs = { service: name, stateDir, port: s.local!.port, revision: args.revision };
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
            { service: s.name, stateDir, port: local.port, revision: args.revision, phase: "up" },
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
