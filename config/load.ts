/**
 * Loads and validates the stack config. Validation is pure (raw object in, typed config or
 * every issue out) so tests can run it over YAML files without an engine; `loadFromPulumi`
 * adapts it to `pulumi.Config` for the program.
 *
 * Every problem is listed in one run: field rules come from the schema (with the input passed
 * to the messages, so a wrong type is named as such), and the rules that span fields run too,
 * on the config with the invalid fields left out (`partiallyValid`), never only once all is fine.
 */
import { z } from "zod";
import {
  ConfigContext,
  ConfigIssue,
  crossFieldIssuesAt,
  formatPath,
  StackConfig,
  stackConfig,
} from "./schema";

type Path = (string | number)[];

/** The config keys a stack reads, in the `fleetgate` namespace. */
export const STACK_CONFIG_KEYS = Object.keys(stackConfig.shape) as (keyof StackConfig)[];

export class ConfigError extends Error {
  constructor(readonly issues: ConfigIssue[]) {
    super(
      `invalid fleetgate stack config (${issues.length} problem${issues.length === 1 ? "" : "s"}):\n` +
        issues.map((i) => `  - ${i.path}: ${i.message}`).join("\n"),
    );
    this.name = "ConfigError";
  }
}

/** What zod's `expected` names, in the words of a YAML file. */
const EXPECTED: Record<string, string> = {
  string: "a string",
  number: "a number",
  int: "a whole number",
  boolean: "true or false",
  array: "a list",
  object: "a mapping (key: value)",
  record: "a mapping (key: value)",
};

function expectedWords(expected: string): string {
  return EXPECTED[expected] ?? expected;
}

function describeInput(v: unknown): string {
  if (v === null) return "null (an empty value)";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "a mapping";
  if (typeof v === "string") return `the string ${JSON.stringify(v)}`;
  if (typeof v === "number" && !Number.isInteger(v)) return `the fraction ${v}`;
  return `${typeof v} ${JSON.stringify(v)}`;
}

/** The fix for a value of the wrong type, from what was written and what is wanted. */
function typeFix(expected: string, input: unknown): string {
  if (input === null) return "give it a value or remove the key";
  if ((expected === "number" || expected === "int") && typeof input === "string" && input.trim() !== "") {
    if (!Number.isNaN(Number(input))) return "write the number without quotes";
  }
  if (expected === "int" && typeof input === "number")
    return `use a whole number such as ${Math.round(input)}`;
  if (expected === "string" && (typeof input === "number" || typeof input === "boolean")) {
    return `quote it: "${String(input)}"`;
  }
  if (expected === "array" && input !== undefined) return "write it as a list (- item)";
  return `write ${expectedWords(expected)} here`;
}

function describeZodIssue(issue: z.core.$ZodIssue): ConfigIssue[] {
  const path = formatPath(issue.path);
  const input = (issue as { input?: unknown }).input;
  switch (issue.code) {
    case "unrecognized_keys":
      return issue.keys.map((k) => ({
        path: formatPath([...issue.path, k]),
        message: `unknown key "${k}"; remove it or check its spelling`,
      }));
    case "invalid_type":
      if (input === undefined) {
        return [{ path, message: `is required; add ${expectedWords(issue.expected)} here` }];
      }
      return [
        {
          path,
          message: `must be ${expectedWords(issue.expected)}, got ${describeInput(input)}; ${typeFix(issue.expected, input)}`,
        },
      ];
    case "invalid_union": {
      // A discriminated union whose tag matched no option lists the allowed tags.
      const { options, discriminator } = issue as { options?: unknown[]; discriminator?: string };
      if (discriminator && options) {
        const tag = isContainer(input) ? input[discriminator] : undefined;
        const got = tag === undefined ? `; add ${discriminator}` : `, got ${describeInput(tag)}`;
        return [{ path, message: `must be one of ${options.join(", ")}${got}` }];
      }
      return [{ path, message: describeUnion(issue, input) }];
    }
    case "invalid_value": {
      const got = input === undefined ? "; add it" : `, got ${describeInput(input)}`;
      return [{ path, message: `${issue.message}${got}` }];
    }
    case "too_small":
    case "too_big":
      return [
        { path, message: isDefaultMessage(issue.message) ? boundMessage(issue, input) : issue.message },
      ];
    case "invalid_key": {
      const key = String(issue.path[issue.path.length - 1]);
      return [{ path, message: `"${key}" ${issue.issues.map((i) => i.message).join("; ")}` }];
    }
    default:
      return [{ path, message: issue.message }];
  }
}

// zod's own wording ("Too small: expected …"): the schema gave no message of its own.
function isDefaultMessage(message: string): boolean {
  return /^Too (small|big)/.test(message);
}

/** A bound's message with the fix, for the fields whose schema gave none. */
function boundMessage(issue: z.core.$ZodIssueTooSmall | z.core.$ZodIssueTooBig, input: unknown): string {
  const small = issue.code === "too_small";
  const limit = Number(
    small ? (issue as z.core.$ZodIssueTooSmall).minimum : (issue as z.core.$ZodIssueTooBig).maximum,
  );
  if (issue.origin === "string") {
    if (small && limit <= 1) return "is empty; write a value or remove the key";
    return `must be ${small ? "at least" : "at most"} ${limit} characters long`;
  }
  if (issue.origin === "array" || issue.origin === "set") {
    if (small && limit <= 1) return "is an empty list; list at least one item or remove the key";
    return `must list ${small ? "at least" : "at most"} ${limit} items`;
  }
  const got = typeof input === "number" ? `, got ${input}` : "";
  return `must be ${small ? "at least" : "at most"} ${limit}${got}`;
}

/**
 * A union other than a discriminated one: in this schema, a plain value or a secret reference
 * (env values, header values). Say what was written and both ways to write it.
 */
function describeUnion(issue: z.core.$ZodIssueInvalidUnion, input: unknown): string {
  const expectsString = issue.errors.some((branch) =>
    branch.some((e) => e.code === "invalid_type" && e.expected === "string" && e.path.length === 0),
  );
  if (!expectsString) return issue.message;
  const either = "a string or { secret: <key> }";
  if (input === undefined) return `is required; write ${either}`;
  if (input === null) return `has no value; write ${either}, or remove the key`;
  if (typeof input === "number" || typeof input === "boolean") {
    return `must be ${either}, got ${describeInput(input)}; quote it: "${String(input)}"`;
  }
  if (typeof input === "object" && !Array.isArray(input)) {
    return `must be ${either} (or { generated: <name> }); check the reference's key and value`;
  }
  return `must be ${either}, got ${describeInput(input)}`;
}

const REMOVED = Symbol("removed");

/** Lists whose elements other fields refer to by name. */
const NAMED_LISTS = ["services", "envSets", "externalTargets", "checks", "channels"];
/** Stands for "a list of names was left out": every "unknown <name>" rule waits for the next run. */
const ANY_NAME = "\u0000any";

/** The original index of each element still in an array after invalid elements were dropped. */
const originalIndexes = new WeakMap<unknown[], number[]>();

function isContainer(v: unknown): v is Record<string | number, unknown> {
  return typeof v === "object" && v !== null;
}

function sameOrUnder(path: Path, prefix: Path): boolean {
  return prefix.length <= path.length && prefix.every((p, i) => p === path[i]);
}

/** Marks the value at `path` for removal; object keys go at once, array elements on compaction. */
function markRemoved(root: unknown, path: Path): boolean {
  if (path.length === 0) return false;
  let parent: unknown = root;
  for (const p of path.slice(0, -1)) {
    // Inside something already removed this round: nothing left to remove.
    if (!isContainer(parent)) return true;
    parent = parent[p];
  }
  const last = path[path.length - 1];
  if (Array.isArray(parent) && typeof last === "number") parent[last] = REMOVED;
  else if (isContainer(parent)) delete parent[last];
  return true;
}

/** Drops marked array elements, remembering where each remaining element was. */
function compact(value: unknown): void {
  if (Array.isArray(value)) {
    const before = originalIndexes.get(value) ?? value.map((_, i) => i);
    const kept = before.filter((_, i) => value[i] !== REMOVED);
    const rest = value.filter((v) => v !== REMOVED);
    value.splice(0, value.length, ...rest);
    originalIndexes.set(value, kept);
    value.forEach(compact);
  } else if (isContainer(value)) Object.values(value).forEach(compact);
}

/** Maps a path into the pruned copy back to the path in the config as written. */
function originalPath(root: unknown, path: Path): Path {
  const out: Path = [];
  let node: unknown = root;
  for (const p of path) {
    if (Array.isArray(node) && typeof p === "number") {
      out.push(originalIndexes.get(node)?.[p] ?? p);
    } else out.push(p);
    node = isContainer(node) ? node[p] : undefined;
  }
  return out;
}

/**
 * The config with every invalid field left out, so the cross-field rules can run on the rest:
 * an invalid field is removed (optional fields then take their default); when that leaves a
 * required field missing, the list element or section holding it is removed instead. Returns
 * undefined when a required top-level section is itself invalid.
 */
function partiallyValid(
  raw: unknown,
): { data: StackConfig; pruned: unknown; removed: Path[]; names: string[] } | undefined {
  const pruned: unknown = structuredClone(raw);
  const removed: Path[] = [];
  const names: string[] = [];
  for (let round = 0; round < 12; round++) {
    const parsed = stackConfig.safeParse(pruned, { reportInput: true });
    if (parsed.success) return { data: parsed.data, pruned, removed, names };
    const earlier = [...removed];
    const thisRound: Path[] = [];
    for (const issue of parsed.error.issues) {
      const paths: Path[] =
        issue.code === "unrecognized_keys"
          ? issue.keys.map((k) => [...(issue.path as Path), k])
          : [issue.path as Path];
      for (let path of paths) {
        let original = originalPath(pruned, path);
        // Inside something removed for another problem this round: already gone.
        if (thisRound.some((r) => sameOrUnder(original, r))) continue;
        // A missing required field, or one removed in an earlier round: remove what holds it.
        let up = issue.code === "invalid_type" && issue.input === undefined;
        while (path.length && (up || earlier.some((r) => sameOrUnder(original, r)))) {
          path = path.slice(0, -1);
          original = originalPath(pruned, path);
          up = false;
        }
        const holder = valueAt(pruned, path);
        if (isContainer(holder) && typeof holder.name === "string") names.push(holder.name);
        // A whole list of named things left out (e.g. `services: null`): any name may be in it.
        if (Array.isArray(holder)) {
          for (const item of holder)
            if (isContainer(item) && typeof item.name === "string") names.push(item.name);
        }
        if (!isContainer(holder) || Array.isArray(holder)) {
          const key = path[path.length - 1];
          if (typeof key === "string" && NAMED_LISTS.includes(key)) names.push(ANY_NAME);
        }
        if (!markRemoved(pruned, path)) return undefined;
        removed.push(original);
        thisRound.push(original);
      }
    }
    compact(pruned);
  }
  return undefined;
}

function valueAt(root: unknown, path: Path): unknown {
  let node = root;
  for (const p of path) node = isContainer(node) ? node[p] : undefined;
  return node;
}

function dedupe(issues: ConfigIssue[]): ConfigIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const key = `${i.path}\u0000${i.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export type ValidationResult = { ok: true; config: StackConfig } | { ok: false; issues: ConfigIssue[] };

/** Validates a raw stack config (keys without namespace) and returns the typed config or every issue. */
export function validateStackConfig(raw: unknown, ctx: ConfigContext): ValidationResult {
  const parsed = stackConfig.safeParse(raw, { reportInput: true });
  if (parsed.success) {
    const issues = dedupe(crossFieldIssuesAt(parsed.data, ctx).map(formatIssue));
    return issues.length ? { ok: false, issues } : { ok: true, config: parsed.data };
  }
  const fieldIssues = parsed.error.issues.flatMap(describeZodIssue);
  const partial = partiallyValid(raw);
  const crossIssues: ConfigIssue[] = [];
  if (partial) {
    let found: { path: Path; message: string }[] = [];
    try {
      found = crossFieldIssuesAt(partial.data, ctx);
    } catch {
      // The rules were written for whole configs; one that trips over a left-out part stays
      // silent here, and the field problems above are listed all the same.
    }
    for (const issue of found) {
      const path = originalPath(partial.pruned, issue.path);
      // Rules about a left-out part (a removed list element, its list, a name it declared) wait
      // for the next run: that part's own problem is already listed.
      const aboutRemoved = partial.removed.some(
        (r) =>
          sameOrUnder(path, r) ||
          (sameOrUnder(r, path) && r.slice(path.length).some((p) => typeof p === "number")),
      );
      const namesRemoved = partial.names.some((n) =>
        n === ANY_NAME ? /\bunknown\b/.test(issue.message) : issue.message.includes(`"${n}"`),
      );
      if (!aboutRemoved && !namesRemoved) crossIssues.push(formatIssue({ path, message: issue.message }));
    }
  }
  return { ok: false, issues: dedupe([...fieldIssues, ...crossIssues]) };
}

function formatIssue(i: { path: Path; message: string }): ConfigIssue {
  return { path: formatPath(i.path), message: i.message };
}

/** Like validateStackConfig, but throws a ConfigError listing every issue. */
export function parseStackConfig(raw: unknown, ctx: ConfigContext): StackConfig {
  const result = validateStackConfig(raw, ctx);
  if (!result.ok) throw new ConfigError(result.issues);
  return result.config;
}

/**
 * Reads the stack's `fleetgate:*` config from the running Pulumi program and validates it.
 * Secret config keys are discovered (not read) so a missing secret is a config error up front.
 */
export function loadFromPulumi(): StackConfig {
  // Required lazily: the schema and its tests must not need the Pulumi runtime.
  const pulumi = require("@pulumi/pulumi") as typeof import("@pulumi/pulumi");
  const runtimeConfig = require("@pulumi/pulumi/runtime/config") as {
    allConfig(): Record<string, string>;
    isConfigSecret(k: string): boolean;
  };
  const cfg = new pulumi.Config("fleetgate");
  const raw: Record<string, unknown> = {};
  for (const key of STACK_CONFIG_KEYS) {
    const value = cfg.getObject<unknown>(key);
    if (value !== undefined) raw[key] = value;
  }
  const secretKeys = new Set<string>();
  for (const full of Object.keys(runtimeConfig.allConfig())) {
    if (full.startsWith("fleetgate:") && runtimeConfig.isConfigSecret(full))
      secretKeys.add(full.slice("fleetgate:".length));
  }
  // A plain key that is neither a section nor a secret is a typo: report it with the rest.
  const unknown: ConfigIssue[] = Object.keys(runtimeConfig.allConfig())
    .filter((full) => full.startsWith("fleetgate:"))
    .map((full) => full.slice("fleetgate:".length))
    .filter((key) => !STACK_CONFIG_KEYS.includes(key as keyof StackConfig) && !secretKeys.has(key))
    .map((key) => ({
      path: key,
      message: `unknown config key "fleetgate:${key}"; known keys: ${STACK_CONFIG_KEYS.join(", ")}`,
    }));
  const result = validateStackConfig(raw, { secretKeys });
  if (!result.ok || unknown.length) throw new ConfigError([...unknown, ...(result.ok ? [] : result.issues)]);
  return result.config;
}
