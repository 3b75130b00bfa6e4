/**
 * The Alertmanager and Prometheus server configurations of a stack (lib/alertmanager,
 * lib/prometheus/config) with the stack's secret references resolved. The Alertmanager config
 * holds webhook URLs and routing keys, so it is a secret output.
 */
import * as pulumi from "@pulumi/pulumi";
import { AlarmsConfig, watchedServices } from "../../config/alarms";
import { isSecretRef, SecretRef } from "../../config/primitives";
import { StackConfig } from "../../config/schema";
import { renderAlertmanagerConfig } from "../../lib/alertmanager/config";
import { renderPrometheusConfig, ScrapeTarget } from "../../lib/prometheus/config";
import { SecretResolver } from "../secrets";
import { servicePublicUrl } from "./targets";

/** Every secret reference the Alertmanager config needs a value for. */
function alertmanagerSecretRefs(alarms: AlarmsConfig): SecretRef[] {
  const refs: unknown[] = alarms.channels.map((c) =>
    c.kind === "webhook" || c.kind === "slack" ? c.url : c.kind === "pagerduty" ? c.routingKey : undefined,
  );
  refs.push(alarms.alertmanager?.smtp?.password);
  return refs.filter(isSecretRef);
}

const refKey = (ref: SecretRef) => JSON.stringify(ref);

/** The Alertmanager config (YAML) with secret values filled in; a secret output. */
export function alertmanagerConfigOutput(cfg: StackConfig, secrets: SecretResolver): pulumi.Output<string> {
  const alarms = cfg.alarms!;
  const refs = alertmanagerSecretRefs(alarms);
  const values = pulumi.all(Object.fromEntries(refs.map((r) => [refKey(r), secrets.resolve(r)])));
  return pulumi.secret(
    values.apply((v) =>
      renderAlertmanagerConfig({
        fleet: cfg.fleet.name,
        environment: cfg.fleet.environment,
        alarms,
        resolve: (x) => (typeof x === "string" ? x : v[refKey(x)]),
      }),
    ),
  );
}

/**
 * Where Prometheus scrapes: every watched service (its loopback port locally, else its public
 * URL), and on the local platform every other service too (each has a loopback port and the
 * demo services all serve metrics), so private services and workers have series as well.
 */
export function scrapeTargets(cfg: StackConfig): ScrapeTarget[] {
  const targets: ScrapeTarget[] = [];
  const names = watchedServices(cfg);
  if (cfg.platform.kind === "local")
    for (const s of cfg.fleet.services) if (s.local && !names.includes(s.name)) names.push(s.name);
  for (const name of names) {
    const svc = cfg.fleet.services.find((s) => s.name === name);
    const external = cfg.fleet.externalTargets.find((t) => t.name === name);
    if (svc?.local) targets.push({ service: name, url: `http://127.0.0.1:${svc.local.port}` });
    else if (svc) targets.push({ service: name, url: servicePublicUrl(svc) });
    else if (external) targets.push({ service: name, url: external.url });
  }
  return targets;
}

/** The Prometheus server config of the stack. */
export function prometheusServerConfig(cfg: StackConfig, rulesFile: string, alertmanagers: string[]): string {
  return renderPrometheusConfig({
    fleet: cfg.fleet.name,
    environment: cfg.fleet.environment,
    alarms: cfg.alarms!,
    targets: scrapeTargets(cfg),
    rulesFile,
    alertmanagers,
  });
}
