/** `http`: the target answers with the expected status. */
import { checkFailed } from "../failure";
import type { CheckContext } from "../context";

export async function httpStatusCheck(ctx: CheckContext): Promise<string> {
  const expected = ctx.check.kind === "http" ? ctx.check.expectStatus : 200;
  const res = await ctx.send();
  if (res.status !== expected) throw checkFailed(`answered ${res.status}, expected ${expected}`);
  return `status ${res.status}`;
}
