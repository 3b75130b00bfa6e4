/**
 * EvidenceRecord: appends one `deploy` record (lib/ledger/record.ts) to the ledger file at the
 * end of a successful `pulumi up` and posts the success notification. It runs on create and
 * whenever something new happened: a new revision, a deploy of any service (its `deployment`),
 * or a gate that ran again (its run time changed). The record names the deploys live after it. A no-op `up` records nothing: nothing was deployed or checked, and a resource that
 * changed on every run would make every preview show a change. Failed gates write their own
 * `failed` record (lib/ledger/context.ts), since a failed update never reaches this resource.
 * The record is also an output (`record`, `line`), e.g. for the optional S3 copy.
 * Type: `pulumi-nodejs:dynamic/ledger:EvidenceRecord`.
 */
import * as pulumi from "@pulumi/pulumi";
import { deployRecord, LedgerContext, recordAndNotify } from "../../lib/ledger/context";
import { appendRecord } from "../../lib/ledger/file";
import type { Webhook } from "../../lib/ledger/notify";
import type { DeployRecord, RecordedCheck, RecordedWatch } from "../../lib/ledger/record";

/** The plain part of the ledger context (the webhooks travel apart, as a secret). */
export type LedgerTarget = Omit<LedgerContext, "webhooks" | "notifyTimeoutMs">;

export interface EvidenceRecordArgs {
  ledger: pulumi.Input<LedgerTarget>;
  /** The smoke suite's results (SmokeSuite.results). */
  checks?: pulumi.Input<RecordedCheck[]>;
  /** `<service>: <deployment>` of every service, live after this update. */
  deployments?: pulumi.Input<Record<string, string>>;
  /** The post-deploy watch's figures (PostDeployWatch.figures). */
  watch?: pulumi.Input<RecordedWatch[]>;
  backup?: pulumi.Input<{ path: pulumi.Input<string>; sizeBytes: pulumi.Input<number> }>;
  /** Identifies one run of the gates: revision plus each gate's run time. A new key, a new record. */
  runKey: pulumi.Input<string>;
  /** Chat webhooks; always stored as a Pulumi secret (the URLs are credentials). */
  webhooks?: pulumi.Input<Webhook[]>;
  notifyTimeoutMs?: pulumi.Input<number>;
}

interface EvidenceInputs {
  ledger: LedgerTarget;
  checks?: RecordedCheck[];
  deployments?: Record<string, string>;
  watch?: RecordedWatch[];
  backup?: { path: string; sizeBytes: number };
  runKey: string;
  webhooks?: Webhook[];
  notifyTimeoutMs?: number;
}

interface EvidenceOutputs extends EvidenceInputs {
  record: DeployRecord;
  /** The JSON line as appended. */
  line: string;
  /** Webhooks that did not take the notification (by name). */
  notificationProblems: string[];
}

export async function writeEvidence(inputs: EvidenceInputs): Promise<EvidenceOutputs> {
  const ctx: LedgerContext = {
    ...inputs.ledger,
    webhooks: inputs.webhooks ?? [],
    notifyTimeoutMs: inputs.notifyTimeoutMs ?? 5000,
  };
  const checks = (inputs.checks ?? []).map((c) => ({
    check: c.check,
    target: c.target,
    ...(c.kind ? { kind: c.kind } : {}),
    status: c.status,
    latencyMs: c.latencyMs,
    reason: c.reason,
  }));
  const rec = deployRecord(ctx, {
    outcome: "succeeded",
    checks,
    rollback: [],
    ...(inputs.deployments ? { deployments: inputs.deployments } : {}),
    ...(inputs.watch ? { watch: inputs.watch } : {}),
    ...(inputs.backup ? { backup: { path: inputs.backup.path, sizeBytes: inputs.backup.sizeBytes } } : {}),
  });
  const { line, problems } = await recordAndNotify(ctx, rec);
  return { ...inputs, record: rec, line, notificationProblems: problems };
}

export const evidenceProvider: pulumi.dynamic.ResourceProvider = {
  async diff(_id: string, olds: EvidenceOutputs, news: EvidenceInputs): Promise<pulumi.dynamic.DiffResult> {
    const changed = (["runKey", "ledger", "webhooks", "notifyTimeoutMs"] as const).some(
      (f) => JSON.stringify(olds[f]) !== JSON.stringify(news[f]),
    );
    // An empty `line` is a record that refresh found missing from the ledger: rewrite it.
    return { changes: changed || olds.line === "" };
  },
  async create(inputs: EvidenceInputs): Promise<pulumi.dynamic.CreateResult> {
    return { id: `evidence-${inputs.ledger.stack}`, outs: await writeEvidence(inputs) };
  },
  async update(
    _id: string,
    olds: EvidenceOutputs,
    news: EvidenceInputs,
  ): Promise<pulumi.dynamic.UpdateResult> {
    if (olds.runKey === news.runKey && olds.ledger?.file === news.ledger.file) {
      // Nothing new ran; a record that vanished from the file is appended again as it was.
      const line = olds.line === "" && olds.record ? appendRecord(news.ledger.file, olds.record) : olds.line;
      return {
        outs: { ...news, record: olds.record, line, notificationProblems: olds.notificationProblems },
      };
    }
    return { outs: await writeEvidence(news) };
  },
  // Refresh shows a record that vanished from the ledger file (truncated, rotated, edited) as
  // drift: `line` becomes empty, and the next `up` appends it again. Delete leaves the file:
  // the ledger is append-only history.
  async read(id: string, props: EvidenceOutputs): Promise<pulumi.dynamic.ReadResult> {
    const fs = require("fs") as typeof import("fs");
    const file = props.ledger?.file;
    const present = Boolean(
      file &&
      props.line &&
      fs.existsSync(file) &&
      fs.readFileSync(file, "utf8").split("\n").includes(props.line),
    );
    return { id, props: { ...props, line: present ? props.line : "" } };
  },
  async delete() {},
};

export class EvidenceRecord extends pulumi.dynamic.Resource {
  declare public readonly record: pulumi.Output<DeployRecord>;
  declare public readonly line: pulumi.Output<string>;
  declare public readonly notificationProblems: pulumi.Output<string[]>;

  constructor(name: string, args: EvidenceRecordArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      evidenceProvider,
      name,
      {
        ...args,
        webhooks: pulumi.secret(args.webhooks ?? []),
        record: undefined,
        line: undefined,
        notificationProblems: undefined,
      },
      { ...opts, additionalSecretOutputs: ["webhooks", ...(opts?.additionalSecretOutputs ?? [])] },
      "ledger",
      "EvidenceRecord",
    );
  }
}
