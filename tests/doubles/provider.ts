/**
 * A test double of a cloud provider plugin (`pulumi-resource-<pkg>`), standing at the provider
 * boundary as the Render double stands at Render's API: it answers check/diff/create/read/
 * update/delete for every type of the package and `invoke` for the data sources our stacks call,
 * echoes inputs, computes the outputs our program reads (outputs.ts), refuses a missing required
 * input as the real provider does (schema.ts), and appends every call to a JSON-lines log
 * (`FLEETGATE_DOUBLES_LOG`) with secret values redacted, for the tests' assertions.
 */
import { randomBytes } from "crypto";
import * as fs from "fs";
import { isDeepStrictEqual } from "util";
import type * as provider from "@pulumi/pulumi/provider";
import { OUTPUTS, githubInvoke, urnName, urnType } from "./outputs";
import { typeSchema } from "./schema";
import { isMissing, isSecret, redact, reveal } from "./wire";

/** One line of the call log. */
export interface DoubleCall {
  pkg: string;
  method: "check" | "diff" | "create" | "read" | "update" | "delete" | "invoke";
  type: string;
  name: string;
  id?: string;
  /** The inputs (check/create/update: the new ones; invoke: the arguments), secrets redacted. */
  inputs?: Record<string, unknown>;
  /** What the double answered: outputs of create/update/invoke, failures of check, changes of diff. */
  result?: unknown;
}

export interface DoubleOptions {
  pkg: string;
  /** Folder holding the `@pulumi/<pkg>` packages, whose declarations give each type's schema. */
  packagesRoot: string;
  /** JSON-lines file every call is appended to (none when unset). */
  logFile?: string;
}

type Props = Record<string, unknown>;

export function doubleProvider(opts: DoubleOptions): provider.Provider {
  const { pkg } = opts;
  const compute = OUTPUTS[pkg];
  if (!compute) throw new Error(`no double for package "${pkg}"`);

  const record = (call: Omit<DoubleCall, "pkg">) => {
    if (!opts.logFile) return;
    const line = { pkg, ...call, inputs: call.inputs && redact(call.inputs), result: redact(call.result) };
    fs.appendFileSync(opts.logFile, `${JSON.stringify(line)}\n`);
  };
  const schemaOf = (type: string) => {
    const schema = typeSchema(opts.packagesRoot, type);
    if (!schema) throw new Error(`${pkg} double: unknown resource type ${type}`);
    return schema;
  };
  /** Outputs: the inputs echoed, plus the computed outputs the type declares (and `id`-like extras). */
  const outputsOf = (type: string, name: string, inputs: Props, keep?: Props) => {
    const { id, outs } = compute(type, name, reveal(inputs) as Props);
    const declared = new Set(schemaOf(type).outputs);
    const result: Props = { ...inputs };
    for (const [k, v] of Object.entries(outs)) {
      if (!declared.has(k) || k in inputs) continue;
      // An update keeps what the resource got at creation (its ARN, generated values).
      result[k] = keep && k in keep ? keep[k] : v;
    }
    return { id, outs: result };
  };
  /**
   * Old outputs that are no input left out by the program: outputs only, and computed inputs
   * (their old value stays when the program omits them, as with the real provider).
   */
  const computedKeys = (type: string, olds: Props) => {
    const { inputs, computed } = schemaOf(type);
    return new Set(Object.keys(olds).filter((k) => !inputs.includes(k) || computed.includes(k)));
  };

  return {
    version: "0.0.0-double",

    async check(urn, olds: Props, news: Props) {
      const type = urnType(urn);
      const name = urnName(urn);
      const schema = schemaOf(type);
      const failures = schema.required
        .filter((k) => isMissing(news[k]))
        .map((k) => ({ property: k, reason: `Missing required argument: "${k}" is required by ${type}` }));
      const inputs: Props = { ...news };
      // Auto-naming, as the real provider does: keep the old physical name, or make one up once.
      if (
        pkg === "aws" &&
        schema.inputs.includes("name") &&
        !schema.required.includes("name") &&
        isMissing(news.name)
      ) {
        inputs.name =
          typeof olds.name === "string" ? olds.name : `${name}-${randomBytes(4).toString("hex").slice(0, 7)}`;
      }
      record({ method: "check", type, name, inputs, result: failures.length ? { failures } : undefined });
      return { inputs, failures };
    },

    async diff(id, urn, olds: Props, news: Props) {
      const type = urnType(urn);
      const computed = computedKeys(type, olds);
      const same = (a: unknown, b: unknown) => isDeepStrictEqual(reveal(a), reveal(b));
      const changed = [
        ...Object.keys(news).filter((k) => !same(olds[k], news[k])),
        ...Object.keys(olds).filter((k) => !(k in news) && !computed.has(k) && !isMissing(olds[k])),
      ];
      // The old values of what changed go to the log too (redacted), so a failed assertion shows them.
      const was = Object.fromEntries(changed.map((k) => [k, olds[k] ?? null]));
      record({ method: "diff", type, name: urnName(urn), id, inputs: news, result: { changed, was } });
      // The random provider's resources are immutable: any change replaces them.
      return { changes: changed.length > 0, replaces: pkg === "random" ? changed : [] };
    },

    async create(urn, inputs: Props) {
      const type = urnType(urn);
      const name = urnName(urn);
      const { id, outs } = outputsOf(type, name, inputs);
      record({ method: "create", type, name, id, inputs, result: outs });
      return { id, outs };
    },

    async read(id, urn, props: Props) {
      // The double keeps no resources of its own: what was created is what is there.
      record({ method: "read", type: urnType(urn), name: urnName(urn), id });
      return { id, props };
    },

    async update(id, urn, olds: Props, news: Props) {
      const type = urnType(urn);
      const name = urnName(urn);
      const { outs } = outputsOf(type, name, news, olds);
      record({ method: "update", type, name, id, inputs: news, result: outs });
      return { outs };
    },

    async delete(id, urn) {
      record({ method: "delete", type: urnType(urn), name: urnName(urn), id });
    },

    async invoke(token: string, args: Props) {
      const outputs = pkg === "github" ? githubInvoke(token, reveal(args) as Props) : undefined;
      record({ method: "invoke", type: token, name: "", inputs: args, result: outputs });
      if (!outputs) throw new Error(`${pkg} double: unknown function ${token}`);
      return { outputs };
    },
  };
}

/** Reads a double's call log (every line), optionally only one package's calls. */
export function readCalls(logFile: string, pkg?: string): DoubleCall[] {
  if (!fs.existsSync(logFile)) return [];
  return fs
    .readFileSync(logFile, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as DoubleCall)
    .filter((c) => !pkg || c.pkg === pkg);
}

export { isSecret };
