/** `json`: a field of the JSON answer equals a value, is at least a number, or is present. */
import { checkFailed } from "../failure";
import { expectOk, jsonBody } from "../http";
import type { CheckContext } from "../context";

/** Reads a dotted path (`build.version`, `items.0.id`) from a parsed JSON value. */
export function fieldAt(value: unknown, path: string): unknown {
  let cur = value;
  for (const part of path.split(".")) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

function show(v: unknown): string {
  const s = JSON.stringify(v);
  return s === undefined ? "missing" : s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

export async function jsonFieldCheck(ctx: CheckContext): Promise<string> {
  const check = ctx.check;
  if (check.kind !== "json") throw new Error(`jsonFieldCheck got a ${check.kind} check`);
  const res = await ctx.send({ headers: { accept: "application/json" } });
  expectOk(res);
  const value = fieldAt(jsonBody(res), check.field);
  if (check.equals !== undefined && value !== check.equals) {
    throw checkFailed(`${check.field} is ${show(value)}, expected ${JSON.stringify(check.equals)}`);
  }
  if (check.atLeast !== undefined) {
    if (typeof value !== "number") throw checkFailed(`${check.field} is ${show(value)}, expected a number`);
    if (value < check.atLeast)
      throw checkFailed(`${check.field} is ${value}, expected at least ${check.atLeast}`);
  }
  const onlyPresence = check.equals === undefined && check.atLeast === undefined;
  if ((onlyPresence || check.present) && (value === undefined || value === null || value === "")) {
    throw checkFailed(`${check.field} is ${show(value)}, expected a value`);
  }
  return `${check.field}=${show(value)}`;
}
