/**
 * Resolves secret references of the config (`{ secret }`, `{ generated }`) into secret Outputs,
 * and creates the secrets a stack generates itself (`{ generated: <name> }`: API keys, webhook
 * signing secrets): on the local platform its own generated-secrets resource, elsewhere one
 * `random.RandomPassword` per name. Either way each value is made once and kept secret in state.
 */
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { PlainOrSecret, SecretRef } from "../config/primitives";
import { StackConfig } from "../config/schema";
import { generatedSecretNames, localGeneratedSecrets } from "./local/secrets";

export interface SecretResolver {
  /** The secret value of a reference, always marked secret. */
  resolve(ref: SecretRef): pulumi.Output<string>;
  /** A plain value as is; a reference through `resolve`. */
  value(v: PlainOrSecret): pulumi.Output<string>;
}

export interface SecretResolverOptions {
  /** Source of `{ generated }` secrets (see `generatedSecrets`). */
  generated?: (name: string) => pulumi.Output<string>;
}

export function secretResolver(opts: SecretResolverOptions = {}): SecretResolver {
  const config = new pulumi.Config("fleetgate");
  const resolve = (ref: SecretRef): pulumi.Output<string> => {
    if ("secret" in ref) return config.requireSecret(ref.secret);
    if (!opts.generated) {
      throw new Error(
        `generated secret "${ref.generated}" has no source; build the resolver with generatedSecrets(...)`,
      );
    }
    return pulumi.secret(opts.generated(ref.generated));
  };
  return {
    resolve,
    value: (v) => (typeof v === "string" ? pulumi.output(v) : resolve(v)),
  };
}

/** Length of a generated secret on cloud platforms: 32 letters and digits (about 190 bits). */
export const GENERATED_SECRET_LENGTH = 32;

/**
 * Creates the stack's generated secrets (when the config uses any) and returns the lookup
 * `secretResolver({ generated })` takes; undefined when nothing is generated. Letters and digits
 * only, so a value is safe in a header, a URL or an env file without quoting.
 */
export function generatedSecrets(
  parent: pulumi.Resource,
  cfg: StackConfig,
): ((name: string) => pulumi.Output<string>) | undefined {
  if (cfg.platform.kind === "local") return localGeneratedSecrets(parent, cfg);
  const names = generatedSecretNames(cfg);
  if (!names.length) return undefined;
  const passwords = new Map(
    names.map((n) => [
      n,
      new random.RandomPassword(
        `${cfg.fleet.name}-${n}`,
        { length: GENERATED_SECRET_LENGTH, special: false },
        // The value is secret in state whatever the provider's schema says.
        { parent, additionalSecretOutputs: ["result"] },
      ),
    ]),
  );
  return (name) => {
    const password = passwords.get(name);
    if (!password) throw new Error(`generated secret "${name}" is not declared in the config`);
    return pulumi.secret(password.result);
  };
}
