/**
 * The local stack monitors itself: Prometheus scrapes every watched service's metrics endpoint
 * and evaluates the generated rules; Alertmanager routes the firing alerts to the severities'
 * channels. Both run as local processes (Debian's `prometheus` and `prometheus-alertmanager`)
 * beside the fleet, on loopback only (docs/alarms.md "Local monitoring").
 */
import * as pulumi from "@pulumi/pulumi";
import { StackConfig } from "../../config/schema";
import { prometheusServerConfig } from "../alarms/server-configs";
import { Daemon } from "./daemon";

export interface LocalMonitoringArgs {
  /** The validated stack config: local platform with `alarms.localMonitoring` set. */
  config: StackConfig;
  /** Absolute state dir of the local stack (the servers live under `<stateDir>/monitoring/`). */
  stateDir: string;
  /** The Prometheus rules file (Alarms.prometheusRules). */
  rules: string;
  /** The Alertmanager config (Alarms.alertmanagerConfig; secret). */
  alertmanagerConfig: pulumi.Input<string>;
  /** Program names (default: Debian's `prometheus` and `prometheus-alertmanager` on PATH). */
  programs?: { prometheus?: string; alertmanager?: string };
}

export class LocalMonitoring extends pulumi.ComponentResource {
  public readonly prometheusUrl: pulumi.Output<string>;
  public readonly alertmanagerUrl: pulumi.Output<string>;

  constructor(name: string, args: LocalMonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
    super("fleetgate:monitoring:LocalMonitoring", name, {}, opts);
    const cfg = args.config;
    const local = cfg.alarms?.localMonitoring;
    if (cfg.platform.kind !== "local" || !local) {
      throw new Error(
        "LocalMonitoring: needs the local platform and alarms.localMonitoring; remove it or set platform.kind: local",
      );
    }
    if (local.prometheusPort === local.alertmanagerPort) {
      throw new Error(
        "alarms.localMonitoring.alertmanagerPort: must differ from prometheusPort (both listen on 127.0.0.1)",
      );
    }
    const alertmanager = new Daemon(
      `${name}-alertmanager`,
      {
        name: "alertmanager",
        command: [
          args.programs?.alertmanager ?? "prometheus-alertmanager",
          "--config.file=alertmanager.yml",
          "--storage.path=data",
          `--web.listen-address=127.0.0.1:${local.alertmanagerPort}`,
          // No cluster gossip: it would listen on every interface (port 9094) by default.
          "--cluster.listen-address=",
        ],
        port: local.alertmanagerPort,
        readyPath: "/-/ready",
        stateDir: args.stateDir,
        files: pulumi.secret(
          pulumi.output(args.alertmanagerConfig).apply((text) => ({ "alertmanager.yml": text })),
        ),
        startTimeoutSeconds: 30,
      },
      { parent: this },
    );
    const prometheus = new Daemon(
      `${name}-prometheus`,
      {
        name: "prometheus",
        command: [
          args.programs?.prometheus ?? "prometheus",
          "--config.file=prometheus.yml",
          "--storage.tsdb.path=data",
          "--storage.tsdb.retention.time=7d",
          `--web.listen-address=127.0.0.1:${local.prometheusPort}`,
        ],
        port: local.prometheusPort,
        readyPath: "/-/ready",
        stateDir: args.stateDir,
        files: {
          "prometheus.yml": prometheusServerConfig(cfg, "rules.yml", [`127.0.0.1:${local.alertmanagerPort}`]),
          "rules.yml": args.rules,
        },
        startTimeoutSeconds: 60,
      },
      { parent: this, dependsOn: [alertmanager] },
    );
    this.prometheusUrl = prometheus.url;
    this.alertmanagerUrl = alertmanager.url;
    this.registerOutputs({ prometheusUrl: this.prometheusUrl, alertmanagerUrl: this.alertmanagerUrl });
  }
}
