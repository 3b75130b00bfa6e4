/**
 * Runs the shipped stacks (dev, prod, examples/stacks/*) through the real CLI with the provider
 * doubles (tests/doubles) and the Render double. One `test-stacks-*` stack of this project is
 * created per run; each case writes its config (the shipped file's `fleetgate:*` keys, with
 * `platform.baseUrl` pointed at the Render double) into the stack's gitignored
 * Pulumi.test-*.yaml and keeps the secrets set once for every key any shipped stack references.
 * A stack whose evidence ledger is an S3 bucket (prod's) reads and writes it on a real
 * S3-compatible server on loopback (moto_server): the error-budget freeze reads it at program start.
 */
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { referencedSecretKeys } from "../../config/schema";
import { doublesEnv } from "../doubles/build";
import { DoubleCall, readCalls } from "../doubles/provider";
import { MOTO_ENV, Moto, startMoto } from "../evidence/moto";
import { engineEnv, REPO_ROOT, runPulumiAsync, tempDir } from "../support/engine";
import { RenderDouble } from "../support/render-double";
import { SHIPPED_STACKS, shippedConfig } from "./shipped";

export { SHIPPED_STACKS, shippedConfig };

export const POLICY_PACK = path.join(REPO_ROOT, "policies");

/** Every secret key a shipped stack references (all set once on the test stack). */
export const SECRET_KEYS = [
  ...new Set([
    "renderApiKey",
    ...Object.keys(SHIPPED_STACKS).flatMap((n) => referencedSecretKeys(shippedConfig(n))),
  ]),
].sort();

/** A distinct, recognizable value per secret key (a canary that must never be printed). */
export const secretValue = (key: string) => `canary-${key}-5f0c1e`;

export class EngineStack {
  readonly name: string;
  readonly file: string;
  readonly dir = tempDir("stacks-engine");
  readonly log: string;
  readonly env: Record<string, string>;
  /** Every CLI output of this stack, to check no secret was printed. */
  readonly outputs: string[] = [];
  /** S3 ledger buckets the written config names, created on moto before the next run. */
  private readonly buckets = new Set<string>();
  private readonly created = new Set<string>();

  private constructor(
    readonly render: RenderDouble,
    readonly s3: Moto,
    label: string,
  ) {
    this.name = `test-${label}-${process.pid}-${Date.now().toString(36)}`;
    this.file = path.join(REPO_ROOT, `Pulumi.${this.name}.yaml`);
    this.log = path.join(this.dir, "calls.jsonl");
    const base = engineEnv(this.dir);
    this.env = { ...base, ...doublesEnv(base.PATH, this.log), ...MOTO_ENV };
  }

  /** Starts the Render double and moto, creates the stack and sets every secret the shipped stacks reference. */
  static async create(label: string): Promise<EngineStack> {
    const render = await RenderDouble.start({ deployPhaseMs: 10 });
    const s3 = await startMoto();
    const stack = new EngineStack(render, s3, label);
    await stack.ok("stack", "init");
    await stack.ok(
      "config",
      "set-all",
      ...SECRET_KEYS.flatMap((k) => ["--secret", `fleetgate:${k}=${secretValue(k)}`]),
    );
    return stack;
  }

  async run(...args: string[]): Promise<{ code: number; output: string }> {
    for (const b of this.buckets) {
      if (!this.created.has(b)) await this.s3.createBucket(b);
      this.created.add(b);
    }
    const r = await runPulumiAsync([...args, "--stack", this.name], { cwd: REPO_ROOT, env: this.env });
    this.outputs.push(r.output);
    return r;
  }

  async ok(...args: string[]): Promise<string> {
    const r = await this.run(...args);
    if (r.code !== 0) throw new Error(`pulumi ${args.join(" ")} exited ${r.code}:\n${r.output}`);
    return r.output;
  }

  /**
   * Replaces the stack's plain `fleetgate:*` config with `config` (namespaced keys), keeping the
   * secrets and the encryption salt; `platform.baseUrl` is pointed at the Render double.
   */
  writeConfig(config: Record<string, unknown>): void {
    const doc = YAML.parse(fs.readFileSync(this.file, "utf8")) as { config: Record<string, unknown> };
    const secrets = Object.fromEntries(
      Object.entries(doc.config).filter(([, v]) => v && typeof v === "object" && "secure" in v),
    );
    const copy = structuredClone(config);
    const platform = copy["fleetgate:platform"] as Record<string, unknown> | undefined;
    if (platform?.kind === "render") platform.baseUrl = this.render.url;
    const ledgerS3 = (copy["fleetgate:gates"] as { ledger?: { s3?: Record<string, unknown> } } | undefined)
      ?.ledger?.s3;
    if (ledgerS3) {
      ledgerS3.endpoint = this.s3.endpoint;
      this.buckets.add(String(ledgerS3.bucket));
    }
    doc.config = { ...copy, ...secrets };
    fs.writeFileSync(this.file, YAML.stringify(doc));
  }

  /** The doubles' calls so far (optionally of one method), oldest first. */
  calls(method?: DoubleCall["method"]): DoubleCall[] {
    return readCalls(this.log).filter((c) => !method || c.method === method);
  }

  /** Forgets the calls recorded so far. */
  clearCalls(): void {
    fs.rmSync(this.log, { force: true });
  }

  async dispose(): Promise<void> {
    await this.render.close();
    await this.s3.stop();
    fs.rmSync(this.file, { force: true });
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
