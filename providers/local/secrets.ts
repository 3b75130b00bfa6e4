/**
 * `pulumi-nodejs:dynamic/local:Secrets`: the local stack's generated secrets (API keys,
 * webhook signing secrets). Each value is created once with crypto.randomBytes, kept in state
 * as a Pulumi secret, and survives every later `up`; adding a name creates only that value,
 * removing a name forgets only that value.
 */
import * as pulumi from "@pulumi/pulumi";

export interface SecretsInputs {
  /** Names of the `{ generated: <name> }` references of the config. */
  names: string[];
}

export interface SecretsOutputs extends SecretsInputs {
  /** name → value (secret). */
  values: Record<string, string>;
}

/** Keeps existing values, creates the missing ones: 32 random bytes, base64url (43 chars). */
function generate(names: string[], existing: Record<string, string>): Record<string, string> {
  const { randomBytes } = require("crypto") as typeof import("crypto");
  const values: Record<string, string> = {};
  for (const name of [...new Set(names)].sort()) {
    values[name] = existing[name] ?? randomBytes(32).toString("base64url");
  }
  return values;
}

export const secretsProvider: pulumi.dynamic.ResourceProvider = {
  async diff(_id: string, olds: SecretsOutputs, news: SecretsInputs) {
    const same = JSON.stringify([...olds.names].sort()) === JSON.stringify([...news.names].sort());
    return { changes: !same, replaces: [], stables: [] };
  },
  async create(inputs: SecretsInputs) {
    return { id: "generated-secrets", outs: { names: inputs.names, values: generate(inputs.names, {}) } };
  },
  async update(_id: string, olds: SecretsOutputs, news: SecretsInputs) {
    return { outs: { names: news.names, values: generate(news.names, olds.values ?? {}) } };
  },
  async read(id: string, props: SecretsOutputs) {
    return { id, props };
  },
};

export class GeneratedSecrets extends pulumi.dynamic.Resource {
  /** name → value; secret in state and in every output derived from it. */
  declare readonly values: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: { names: string[] }, opts?: pulumi.CustomResourceOptions) {
    super(
      secretsProvider,
      name,
      { names: args.names, values: undefined },
      { ...opts, additionalSecretOutputs: ["values"] },
      "local",
      "Secrets",
    );
  }

  /** The secret value of one generated name. */
  value(name: string): pulumi.Output<string> {
    return pulumi.secret(this.values.apply((v) => v[name]));
  }
}
