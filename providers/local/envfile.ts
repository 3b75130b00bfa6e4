/**
 * `pulumi-nodejs:dynamic/local:EnvFile`: an env-var set on the local platform, written as one
 * env file per service with the same complete-merged-set rule as Render
 * (providers/envsets/merge.ts): keys the set owned but no longer declares are removed, keys it
 * never owned (added by hand) are kept and reported as `foreignKeys`.
 *
 * `generations[service]` goes up each time that service's file content changes; the Service
 * takes it as an input, so only the services whose set changed restart.
 * Values are one secret input; diffs and errors name keys and services, never values.
 */
import * as pulumi from "@pulumi/pulumi";
import { mergeEnvVars, sameEnvVars } from "../envsets/merge";
import { envFilePath, readEnvFile, writeEnvFile } from "./files";

export interface EnvFileInputs {
  setName: string;
  /** Services that receive the set. */
  services: string[];
  /** fleet.environment */
  environment: string;
  /** Declared key names (plain), over every service of the set. */
  keys: string[];
  /** Declared keys whose value is not a secret reference. */
  plainKeys: string[];
  /** Per service, the declared layers merged (set vars, then the service's overrides). Secret. */
  values: Record<string, Record<string, string>>;
  /** Absolute state dir of the local stack. */
  stateDir: string;
}

export interface EnvFileOutputs extends EnvFileInputs {
  /** Per service: keys in its env file that the set does not own. */
  foreignKeys: Record<string, string[]>;
  /** Per service: the keys this set owns there (removed when no longer declared). */
  ownedKeys: Record<string, string[]>;
  /** Per service: bumped whenever its file content changes. */
  generations: Record<string, number>;
}

function header(setName: string): string {
  return `managed by fleetgate env-var set "${setName}"; keys it does not own are kept`;
}

/**
 * Brings every service's file to the merged set. Reads every file first (fail closed: a file
 * that cannot be read stops the push before anything is written).
 */
function push(inputs: EnvFileInputs, olds: EnvFileOutputs | undefined): EnvFileOutputs {
  const fs = require("fs") as typeof import("fs");
  const services = [...new Set([...inputs.services, ...(olds ? olds.services : [])])];
  const current: Record<string, Record<string, string>> = {};
  for (const svc of services) {
    try {
      current[svc] = readEnvFile(envFilePath(inputs.stateDir, svc)) ?? {};
    } catch (e) {
      throw new Error(
        `env-var set ${inputs.setName}: cannot read the env file of service ${svc} (${(e as Error).message}); nothing was written`,
      );
    }
  }
  const foreignKeys: Record<string, string[]> = {};
  const ownedKeys: Record<string, string[]> = {};
  const generations: Record<string, number> = {};
  for (const svc of services) {
    const declared = inputs.services.includes(svc) ? (inputs.values[svc] ?? {}) : {};
    const previouslyOwned = olds?.ownedKeys?.[svc] ?? [];
    const { merged, foreignKeys: foreign } = mergeEnvVars(current[svc], previouslyOwned, declared);
    const file = envFilePath(inputs.stateDir, svc);
    const oldGeneration = olds?.generations?.[svc] ?? 0;
    if (!inputs.services.includes(svc)) {
      // The service left the set: leave only the keys others own, or no file at all.
      if (Object.keys(merged).length) writeEnvFile(file, merged, header(inputs.setName));
      else fs.rmSync(file, { force: true });
      continue;
    }
    const changed = !sameEnvVars(current[svc], merged) || !fs.existsSync(file);
    if (changed) writeEnvFile(file, merged, header(inputs.setName));
    foreignKeys[svc] = foreign;
    ownedKeys[svc] = Object.keys(declared).sort();
    generations[svc] = changed || oldGeneration === 0 ? oldGeneration + 1 : oldGeneration;
  }
  return { ...inputs, foreignKeys, ownedKeys, generations };
}

export const envFileProvider: pulumi.dynamic.ResourceProvider = {
  async diff(_id: string, olds: EnvFileOutputs, news: EnvFileInputs) {
    const compare = [
      "setName",
      "services",
      "environment",
      "keys",
      "plainKeys",
      "values",
      "stateDir",
    ] as const;
    const changed = compare.filter((k) => JSON.stringify(olds[k]) !== JSON.stringify(news[k]));
    return {
      changes: changed.length > 0,
      replaces: olds.stateDir !== news.stateDir ? ["stateDir"] : [],
      deleteBeforeReplace: true,
    };
  },

  async create(inputs: EnvFileInputs) {
    return { id: inputs.setName, outs: push(inputs, undefined) };
  },

  async update(_id: string, olds: EnvFileOutputs, news: EnvFileInputs) {
    return { outs: push(news, olds) };
  },

  /** Refresh: the owned values as they are on disk now, and the foreign keys found there. */
  async read(id: string, props: EnvFileOutputs) {
    const values: Record<string, Record<string, string>> = {};
    const foreignKeys: Record<string, string[]> = {};
    for (const svc of props.services) {
      const onDisk = readEnvFile(envFilePath(props.stateDir, svc)) ?? {};
      const owned = new Set(props.ownedKeys?.[svc] ?? []);
      values[svc] = Object.fromEntries(Object.entries(onDisk).filter(([k]) => owned.has(k)));
      foreignKeys[svc] = Object.keys(onDisk)
        .filter((k) => !owned.has(k))
        .sort();
    }
    return { id, props: { ...props, values, foreignKeys } };
  },

  /** Removes the keys the set owns; keys set by others stay (the file goes when it is empty). */
  async delete(_id: string, props: EnvFileOutputs) {
    push({ ...props, services: [], values: {} }, props);
  },
};

export type EnvFileArgs = { [K in keyof EnvFileInputs]: pulumi.Input<EnvFileInputs[K]> };

export class EnvFile extends pulumi.dynamic.Resource {
  declare readonly foreignKeys: pulumi.Output<Record<string, string[]>>;
  declare readonly generations: pulumi.Output<Record<string, number>>;

  constructor(name: string, args: EnvFileArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      envFileProvider,
      name,
      {
        ...args,
        values: pulumi.secret(args.values),
        foreignKeys: undefined,
        ownedKeys: undefined,
        generations: undefined,
      },
      { ...opts, additionalSecretOutputs: ["values"] },
      "local",
      "EnvFile",
    );
  }
}
