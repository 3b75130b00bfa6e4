/**
 * Resolves secret references of the config (`{ secret }`, `{ generated }`) into secret Outputs.
 */
import * as pulumi from "@pulumi/pulumi";
import { PlainOrSecret, SecretRef } from "../config/primitives";

export interface SecretResolver {
  /** The secret value of a reference, always marked secret. */
  resolve(ref: SecretRef): pulumi.Output<string>;
  /** A plain value as is; a reference through `resolve`. */
  value(v: PlainOrSecret): pulumi.Output<string>;
}

export interface SecretResolverOptions {
  /** Source of `{ generated }` secrets (the local platform's generated-secrets resource). */
  generated?: (name: string) => pulumi.Output<string>;
}

export function secretResolver(opts: SecretResolverOptions = {}): SecretResolver {
  const config = new pulumi.Config("fleetgate");
  const resolve = (ref: SecretRef): pulumi.Output<string> => {
    if ("secret" in ref) return config.requireSecret(ref.secret);
    if (!opts.generated) {
      throw new Error(
        `generated secret "${ref.generated}" needs the local platform; use { secret: <key> } instead`,
      );
    }
    return pulumi.secret(opts.generated(ref.generated));
  };
  return {
    resolve,
    value: (v) => (typeof v === "string" ? pulumi.output(v) : resolve(v)),
  };
}
