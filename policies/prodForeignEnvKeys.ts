/**
 * Foreign env keys on prod (advisory): keys present on a prod service that no env-var set of
 * the stack declares were set by hand. They survive every push (sets never delete keys they
 * do not own), so they are reported for someone to adopt into config or remove.
 * Reads each set's `foreignKeys` output, known once the set exists (not for a first create).
 */
import { envResourceView } from "./lib/envResources";
import { ReportViolation, StackValidationArgs, StackValidationPolicy } from "@pulumi/policy";
import { configWithDefaults, stringList } from "./lib/config";
import { ENV_SET_TYPES } from "./lib/resourceTypes";

export interface ProdForeignEnvKeysConfig {
  /** Environments (the env set's `environment`) where foreign keys are reported. */
  environments: string[];
}

const DEFAULTS: ProdForeignEnvKeysConfig = { environments: ["prod", "production"] };

export const prodForeignEnvKeys: StackValidationPolicy = {
  name: "prod-foreign-env-keys",
  description:
    "Env keys found on prod services that no env-var set declares are reported. Declare them in fleet.envSets (or service env) or remove them on the platform.",
  enforcementLevel: "advisory",
  configSchema: {
    properties: {
      environments: stringList("Environments where foreign env keys are reported.", DEFAULTS.environments),
    },
  },
  validateStack: (args: StackValidationArgs, report: ReportViolation) => {
    const cfg = configWithDefaults<ProdForeignEnvKeysConfig>(args.getConfig, DEFAULTS);
    for (const r of args.resources.filter((x) => ENV_SET_TYPES.includes(x.type))) {
      const view = envResourceView(r);
      const environment = view.environment;
      if (!environment || !cfg.environments.includes(environment)) continue;
      const found = Object.keys(view.foreignKeys)
        .sort()
        .filter((svc) => view.foreignKeys[svc].length > 0)
        .map((svc) => `${svc}: ${[...view.foreignKeys[svc]].sort().join(", ")}`);
      if (found.length) {
        report(
          `${view.label} (${environment}) found keys it does not declare (${found.join("; ")}); declare them in fleet.envSets or remove them on the platform`,
          r.urn,
        );
      }
    }
  },
};
