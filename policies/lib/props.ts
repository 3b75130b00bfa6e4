/**
 * Reading resource properties defensively. During preview some values are unknown (the policy
 * SDK throws `UnknownValueError` when one is read); a stack policy must not give up on every
 * resource because one output is not known yet, so these helpers turn an unknown into `undefined`.
 */
import { UnknownValueError } from "@pulumi/policy";

/** Marks a value that is unknown during preview. */
export const UNKNOWN: unique symbol = Symbol("unknown during preview");

/** Runs `read`, returning UNKNOWN when it touches a value unknown during preview. */
export function peek<T>(read: () => T): T | typeof UNKNOWN {
  try {
    return read();
  } catch (e) {
    if (e instanceof UnknownValueError || (e as Error)?.name === "UnknownValueError") return UNKNOWN;
    throw e;
  }
}

/** Runs `read`, returning undefined when it touches a value unknown during preview. */
export function known<T>(read: () => T): T | undefined {
  const v = peek(read);
  return v === UNKNOWN ? undefined : v;
}

/** A string property, or undefined when absent, unknown or not a string. */
export function stringProp(props: Record<string, unknown>, path: string): string | undefined {
  const v = known(() => dig(props, path));
  return typeof v === "string" ? v : undefined;
}

/** A list of strings; non-string entries and unknowns are dropped. */
export function stringListProp(props: Record<string, unknown>, path: string): string[] {
  const v = known(() => dig(props, path));
  if (!Array.isArray(v)) return [];
  const out: string[] = [];
  for (let i = 0; i < v.length; i++) {
    const item = known(() => v[i]);
    if (typeof item === "string") out.push(item);
  }
  return out;
}

/** Reads a dotted path (`taskSpec.containerSpec.image`). */
export function dig(props: Record<string, unknown>, path: string): unknown {
  let cur: unknown = props;
  for (const part of path.split(".")) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}
