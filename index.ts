/**
 * The fleetgate program: read the stack config (validated before anything is registered)
 * and build one Fleet. Outputs are what a reader of `pulumi stack output` wants after an `up`.
 */
import * as pulumi from "@pulumi/pulumi";
import { Fleet } from "./components/fleet";
import { ConfigError, loadFromPulumi } from "./config/load";
import type { StackConfig } from "./config/schema";

/**
 * The validated config. An invalid one stops the program before anything is registered and is
 * reported once, as the list of problems: a RunError goes to the engine's error log without a
 * Node stack trace (which would say nothing about the config) and fails the run.
 */
function loadConfig(): StackConfig {
  try {
    return loadFromPulumi();
  } catch (e) {
    if (e instanceof ConfigError) throw new pulumi.RunError(e.message);
    throw e;
  }
}

const config = loadConfig();
const fleet = new Fleet(config.fleet.name, { config });

export const revision = fleet.revision;
export const serviceUrls = fleet.serviceUrls;
export const foreignKeys = fleet.foreignKeys;
/** The smoke checks' result table of the last run (every wave's suite, then the final one). */
export const smokeResults = fleet.gates.post.smokeResults;
export const integrityProblems = fleet.gates.post.verify?.problems;
export const backup = fleet.deploy.pre.backup && {
  path: fleet.deploy.pre.backup.path,
  sizeBytes: fleet.deploy.pre.backup.sizeBytes,
};
export const watch = fleet.deploy.post.watch?.table;
export const evidence = fleet.deploy.post.evidence?.record;
export const prometheusRules = fleet.alarms?.prometheusRules;
/**
 * Service → `repo@sha256:…` this update deployed, written only once every gate passed: the
 * output a promoting stack reads through a StackReference (docs/release.md).
 */
export const releasedImages = fleet.releasedImages;
/** Where the local stack's Prometheus and Alertmanager answer (alarms.localMonitoring). */
export const monitoring = fleet.monitoring && {
  prometheus: fleet.monitoring.prometheusUrl,
  alertmanager: fleet.monitoring.alertmanagerUrl,
};
