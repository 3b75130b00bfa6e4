/**
 * WatchBaseline: samples the running version's health URLs before the deploy (the platform
 * waits for it through `PlatformArgs.before`), so the post-deploy watch compares against what
 * users had a minute ago. It runs before the deploys, so it keys on what is declared (as the
 * integrity snapshot, docs/gates.md "Triggers"): it re-samples when the revision or the secret
 * deploy key (every image, run setting and env value) changes. A service that does not answer
 * (first deploy) has no usable baseline; the watch then applies only its absolute thresholds.
 * Type: `pulumi-nodejs:dynamic/checks:WatchBaseline`.
 */
import * as pulumi from "@pulumi/pulumi";
import { sampleWindow, WatchTarget } from "./sample";
import { figuresOf, Figures } from "./stats";

export interface WatchBaselineArgs {
  /** Health URLs of the running services (known before the deploy). */
  targets: pulumi.Input<pulumi.Input<WatchTarget>[]>;
  /** The fleet revision about to be deployed: a new one takes a new baseline. */
  revision: pulumi.Input<string>;
  /**
   * The declared deploy key (components/gates.ts `declaredDeployKey`): changes with any declared
   * change that will deploy something, a secret env value too. Stored as a secret.
   */
  deployKey?: pulumi.Input<string>;
  samples: pulumi.Input<number>;
  requestTimeoutMs: pulumi.Input<number>;
}

interface BaselineInputs {
  targets: WatchTarget[];
  revision: string;
  deployKey?: string;
  samples: number;
  requestTimeoutMs: number;
}

interface BaselineOutputs extends BaselineInputs {
  /** Figures per service. */
  figures: Record<string, Figures>;
  sampledAt: string;
}

/** Pause between baseline samples: quick, the baseline must not delay the deploy much. */
const BASELINE_INTERVAL_MS = 200;

export async function takeBaseline(inputs: BaselineInputs): Promise<BaselineOutputs> {
  const samples = await sampleWindow(inputs.targets, {
    windowMs: (inputs.samples - 1) * BASELINE_INTERVAL_MS,
    intervalMs: BASELINE_INTERVAL_MS,
    timeoutMs: inputs.requestTimeoutMs,
  });
  const figures = Object.fromEntries(Object.entries(samples).map(([svc, s]) => [svc, figuresOf(s)]));
  return { ...inputs, figures, sampledAt: new Date().toISOString() };
}

const RESAMPLE = ["revision", "deployKey", "targets", "samples"] as const;
const changed = (olds: Partial<BaselineInputs>, news: BaselineInputs) =>
  RESAMPLE.filter((f) => JSON.stringify(olds[f]) !== JSON.stringify(news[f]));

export const baselineProvider: pulumi.dynamic.ResourceProvider = {
  async diff(_id: string, olds: BaselineOutputs, news: BaselineInputs): Promise<pulumi.dynamic.DiffResult> {
    return { changes: changed(olds, news).length > 0 || olds.requestTimeoutMs !== news.requestTimeoutMs };
  },
  async create(inputs: BaselineInputs): Promise<pulumi.dynamic.CreateResult> {
    return { id: `baseline-${Date.now().toString(36)}`, outs: await takeBaseline(inputs) };
  },
  async update(
    _id: string,
    olds: BaselineOutputs,
    news: BaselineInputs,
  ): Promise<pulumi.dynamic.UpdateResult> {
    if (changed(olds, news).length === 0)
      return { outs: { ...news, figures: olds.figures, sampledAt: olds.sampledAt } };
    return { outs: await takeBaseline(news) };
  },
  // A baseline is a record of past samples: nothing remote to read back or delete.
  async read(id: string, props: BaselineOutputs): Promise<pulumi.dynamic.ReadResult> {
    return { id, props };
  },
  async delete() {},
};

export class WatchBaseline extends pulumi.dynamic.Resource {
  declare public readonly figures: pulumi.Output<Record<string, Figures>>;
  declare public readonly sampledAt: pulumi.Output<string>;

  constructor(name: string, args: WatchBaselineArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      baselineProvider,
      name,
      {
        ...args,
        deployKey: args.deployKey === undefined ? undefined : pulumi.secret(args.deployKey),
        figures: undefined,
        sampledAt: undefined,
      },
      { ...opts, additionalSecretOutputs: ["deployKey", ...(opts?.additionalSecretOutputs ?? [])] },
      "checks",
      "WatchBaseline",
    );
  }
}
