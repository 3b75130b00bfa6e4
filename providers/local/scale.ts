/**
 * `pulumi-nodejs:dynamic/local:Scale`: one scale step of a rollout on the local platform
 * (docs/waves.md). A local service runs one process, so `down` stops it (before the first wave
 * deploys) and `up` makes sure it runs again after its own deploy. The service's own resource
 * restarts a stopped process when its wave deploys (it redeploys whatever is down); `up` starts the
 * latest recorded deploy only when nothing runs by then. Both phases are idempotent.
 *
 * Triggers (the day-two rule, docs/gates.md "Triggers"): `down` runs before the deploys, so it
 * keys on what is declared: the revision and the secret deploy key (any image, run setting or env
 * value, a secret one too). `up` runs after its service's deploy and keys on that service's
 * `deployment`, which changes exactly when the service was deployed (a declared change or a
 * redeploy that corrected drift), plus the revision.
 */
import * as pulumi from "@pulumi/pulumi";
import { deployService, stopService } from "./deploy";
import { deployIds, readDeployRecord, readProcessRecord } from "./files";
import { isOurProcess } from "./process";

export interface LocalScaleInputs {
  /** Service name (its files in the state dir). */
  service: string;
  phase: "down" | "up";
  /** Absolute state dir of the local stack. */
  stateDir: string;
  /** The service's port, released before its next start. */
  port: number;
  /** The fleet revision: a new revision runs the step again. */
  revision: string;
  /** `down`: the declared deploy key (components/gates.ts `declaredDeployKey`), a secret. */
  deployKey?: string;
  /** `up`: the service's deployment (`<id>:<deploy id>`), which changes with every deploy. */
  deployment?: string;
}

export interface LocalScaleOutputs extends LocalScaleInputs {
  /** What the step did, e.g. `stopped pid 1234` or `already running (pid 1234)`. */
  action: string;
  scaledAt: string;
}

const TRIGGERS: (keyof LocalScaleInputs)[] = [
  "service",
  "phase",
  "stateDir",
  "port",
  "revision",
  "deployKey",
  "deployment",
];

async function scaleDown(i: LocalScaleInputs): Promise<string> {
  const rec = readProcessRecord(i.stateDir, i.service);
  if (!isOurProcess(rec)) return "not running";
  await stopService(i.stateDir, i.service, i.port);
  return `stopped pid ${rec!.pid}`;
}

async function scaleUp(i: LocalScaleInputs): Promise<string> {
  const rec = readProcessRecord(i.stateDir, i.service);
  if (isOurProcess(rec)) return `already running (pid ${rec!.pid})`;
  const latest = deployIds(i.stateDir, i.service).pop();
  const recorded = latest === undefined ? undefined : readDeployRecord(i.stateDir, i.service, latest);
  if (!recorded) {
    throw new Error(
      `service ${i.service}: scale up: no deploy recorded in ${i.stateDir}; run pulumi up again`,
    );
  }
  const { deployId: _id, startedAt: _at, ...spec } = recorded.rec;
  const outcome = await deployService(i.stateDir, i.service, spec, recorded.env);
  if (outcome.status !== "live") {
    throw new Error(`service ${i.service}: scale up: restart of deploy ${latest} failed: ${outcome.reason}`);
  }
  return `started deploy ${latest} again (pid ${outcome.pid})`;
}

async function scaleStep(i: LocalScaleInputs): Promise<LocalScaleOutputs> {
  const action = i.phase === "down" ? await scaleDown(i) : await scaleUp(i);
  return { ...i, action, scaledAt: new Date().toISOString() };
}

export const localScaleProvider: pulumi.dynamic.ResourceProvider = {
  async diff(_id, olds: LocalScaleOutputs, news: LocalScaleInputs) {
    return { changes: TRIGGERS.some((f) => olds[f] !== news[f]) };
  },
  async create(inputs: LocalScaleInputs) {
    return { id: `${inputs.service}-scale-${inputs.phase}`, outs: await scaleStep(inputs) };
  },
  async update(_id, _olds: LocalScaleOutputs, news: LocalScaleInputs) {
    return { outs: await scaleStep(news) };
  },
  // A step is a record of what it did; the service's own resource reports its process.
  async read(id, props: LocalScaleOutputs) {
    return { id, props };
  },
  async delete() {},
};

export type LocalScaleArgs = { [K in keyof LocalScaleInputs]: pulumi.Input<LocalScaleInputs[K]> };

/** Output fields that hold a secret. */
const SECRET_OUTPUTS = ["deployKey"];

/** Stops (down) or makes sure it runs again (up) a local service around a rollout. */
export class LocalScale extends pulumi.dynamic.Resource {
  declare readonly action: pulumi.Output<string>;
  declare readonly scaledAt: pulumi.Output<string>;

  constructor(name: string, args: LocalScaleArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      localScaleProvider,
      name,
      {
        ...args,
        deployKey: args.deployKey === undefined ? undefined : pulumi.secret(args.deployKey),
        action: undefined,
        scaledAt: undefined,
      },
      { ...opts, additionalSecretOutputs: [...SECRET_OUTPUTS, ...(opts?.additionalSecretOutputs ?? [])] },
      "local",
      "Scale",
    );
  }
}
