/**
 * Writes the Prometheus rules file of a stack without running Pulumi (and without AWS):
 *
 *   npx ts-node --transpile-only scripts/write-prometheus-rules.ts <stack> [out-file]
 *
 * Reads Pulumi.<stack>.yaml, validates it, and writes the rules generated from its `alarms`
 * section (default out-file: .fleetgate/prometheus/<stack>.rules.yml). Secret values are not
 * needed for rules, so secret references count as set here.
 */
import * as fs from "fs";
import * as path from "path";
import { ConfigError, validateStackConfig } from "../config/load";
import { readStackFile } from "../config/stack-file";
import { prometheusInputForStack, renderPrometheusRules } from "../lib/prometheus/rules";

/** A set that answers "yes" to every secret key: rules never read secret values. */
const ANY_SECRET: ReadonlySet<string> = new Proxy(new Set<string>(), {
  get: (target, prop) => (prop === "has" ? () => true : Reflect.get(target, prop)),
});

export function writePrometheusRules(stackFile: string, outFile: string): string {
  const { raw } = readStackFile(stackFile);
  const result = validateStackConfig(raw, { secretKeys: ANY_SECRET });
  if (!result.ok) throw new ConfigError(result.issues);
  const input = prometheusInputForStack(result.config);
  if (!input)
    throw new Error(`${stackFile} has no fleetgate:alarms section; add one to generate Prometheus rules`);
  fs.mkdirSync(path.dirname(outFile), { recursive: true });
  fs.writeFileSync(outFile, renderPrometheusRules(input));
  return outFile;
}

if (require.main === module) {
  const [stack, out] = process.argv.slice(2);
  if (!stack) {
    console.error("usage: write-prometheus-rules.ts <stack> [out-file]");
    process.exit(2);
  }
  const root = path.resolve(__dirname, "..");
  try {
    const file = writePrometheusRules(
      path.join(root, `Pulumi.${stack}.yaml`),
      out ?? path.join(root, ".fleetgate", "prometheus", `${stack}.rules.yml`),
    );
    console.log(file);
  } catch (e) {
    console.error((e as Error).message);
    process.exit(1);
  }
}
