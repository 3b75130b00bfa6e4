/**
 * The local stack's generated secrets: one `local:Secrets` resource holding every
 * `{ generated: <name> }` reference of the config, created once and kept secret in state.
 * (Other platforms generate theirs with `random.RandomPassword`: components/secrets.ts.)
 */
import * as pulumi from "@pulumi/pulumi";
import { generatedNames } from "../../config/generated-secrets";
import { StackConfig } from "../../config/schema";
import { GeneratedSecrets } from "../../providers/local/secrets";

/** Every `{ generated }` name in the config, sorted and unique. */
export function generatedSecretNames(cfg: StackConfig): string[] {
  return generatedNames(cfg);
}

/**
 * Creates the generated-secrets resource (when the config uses any) and returns the lookup
 * `secretResolver({ generated })` takes; undefined when nothing is generated.
 */
export function localGeneratedSecrets(
  parent: pulumi.Resource,
  cfg: StackConfig,
): ((name: string) => pulumi.Output<string>) | undefined {
  const names = generatedSecretNames(cfg);
  if (!names.length) return undefined;
  const secrets = new GeneratedSecrets(`${cfg.fleet.name}-generated-secrets`, { names }, { parent });
  return (name) => {
    if (!names.includes(name)) throw new Error(`generated secret "${name}" is not declared in the config`);
    return secrets.value(name);
  };
}
