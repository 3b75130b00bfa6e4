/** `jwks`: the JWKS document is reachable and holds a non-empty `keys` array. */
import { checkFailed } from "../failure";
import { expectOk, jsonBody } from "../http";
import type { CheckContext } from "../context";

export async function jwksCheck(ctx: CheckContext): Promise<string> {
  const res = await ctx.send({ headers: { accept: "application/json" } });
  expectOk(res);
  const doc = jsonBody(res) as { keys?: unknown };
  if (!Array.isArray(doc?.keys)) throw checkFailed("the JWKS has no keys array");
  if (doc.keys.length === 0) throw checkFailed("the JWKS keys array is empty");
  const bad = doc.keys.findIndex((k) => !k || typeof (k as { kty?: unknown }).kty !== "string");
  if (bad >= 0) throw checkFailed(`keys[${bad}] has no kty`);
  return `${doc.keys.length} key${doc.keys.length === 1 ? "" : "s"}`;
}
