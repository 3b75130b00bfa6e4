/**
 * `pulumi-nodejs:dynamic/local:EnvFile`: one service's complete env on the local platform,
 * written as its env file with the same complete-merged-set rule as Render
 * (providers/envsets/merge.ts): keys it owned but no longer declares are removed, keys it never
 * owned (added by hand) are kept and reported as `foreignKeys`.
 *
 * components/local builds one per service, holding the union of every layer that applies to
 * it (its sets, then its overrides): a set rename or a move between sets is a change of this
 * map, never a delete of keys another set declares, and one file has one writer. The input
 * shape (`setName`, `services`, `keys`, `plainKeys`, `foreignKeys` per service) is the env-set
 * shape the policy pack reads.
 *
 * `generations[service]` goes up each time the file's content changes; the Service takes it as
 * an input and restarts. `diff` also compares the file on disk with the declaration (a file
 * edited or removed by hand is rewritten by the next `up`, which restarts the service).
 * Values are one secret input; diffs and errors name keys and services, never values.
 */
import * as pulumi from "@pulumi/pulumi";
import { mergeEnvVars, sameEnvVars } from "../envsets/merge";
import { envFilePath, readEnvFile, writeEnvFile } from "./files";

export interface EnvFileInputs {
  /** Label for messages and policies: the sets that apply and the service. */
  setName: string;
  /** Names of the env-var sets whose vars are layered in (config order). */
  sets?: string[];
  /** The service (one) whose env file this is. */
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
 * that cannot be read stops the push before anything is written). A service in `olds` but no
 * longer in `inputs` is cleaned (its owned keys removed) on `delete`; on an update it is handed
 * over untouched: that happens once, when a stack's per-set env file (the earlier design) becomes
 * one service's env file, and the other services' own env files own their keys from then on.
 */
function push(
  inputs: EnvFileInputs,
  olds: EnvFileOutputs | undefined,
  leaving: "clean" | "hand-over" = "clean",
): EnvFileOutputs {
  const fs = require("fs") as typeof import("fs");
  const gone = leaving === "clean" && olds ? olds.services : [];
  const services = [...new Set([...inputs.services, ...gone])];
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

/** Services whose file on disk lacks a declared key or holds another value for it. */
export function filesOffDeclaration(inputs: EnvFileInputs): string[] {
  return inputs.services.filter((svc) => {
    let onDisk: Record<string, string> | undefined;
    try {
      onDisk = readEnvFile(envFilePath(inputs.stateDir, svc));
    } catch {
      return true; // unreadable or unparsable: rewrite it
    }
    const declared = inputs.values[svc] ?? {};
    return (
      !onDisk || Object.entries(declared).some(([k, v]) => !Object.hasOwn(onDisk!, k) || onDisk![k] !== v)
    );
  });
}

export const envFileProvider: pulumi.dynamic.ResourceProvider = {
  async diff(_id: string, olds: EnvFileOutputs, news: EnvFileInputs) {
    const compare = [
      "setName",
      "sets",
      "services",
      "environment",
      "keys",
      "plainKeys",
      "values",
      "stateDir",
    ] as const;
    const changed = compare.filter(
      (k) => JSON.stringify(olds[k] ?? null) !== JSON.stringify(news[k] ?? null),
    );
    // The live check: a file edited or removed by hand converges without `--refresh`.
    const drifted = olds.stateDir === news.stateDir ? filesOffDeclaration(news) : [];
    return {
      changes: changed.length > 0 || drifted.length > 0,
      replaces: olds.stateDir !== news.stateDir ? ["stateDir"] : [],
      deleteBeforeReplace: true,
    };
  },

  async create(inputs: EnvFileInputs) {
    return { id: inputs.setName, outs: push(inputs, undefined) };
  },

  async update(_id: string, olds: EnvFileOutputs, news: EnvFileInputs) {
    return { outs: push(news, olds, "hand-over") };
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
