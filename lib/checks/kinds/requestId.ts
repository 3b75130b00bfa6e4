/** `requestId`: a request without the id header gets one back; a given id is echoed unchanged. */
import { randomUUID } from "crypto";
import { checkFailed } from "../failure";
import type { CheckContext } from "../context";

export async function requestIdCheck(ctx: CheckContext): Promise<string> {
  const check = ctx.check;
  if (check.kind !== "requestId") throw new Error(`requestIdCheck got a ${check.kind} check`);
  const header = check.header.toLowerCase();
  const given = `fleetgate-${randomUUID()}`;
  const [fresh, echoed] = await Promise.all([ctx.send(), ctx.send({ headers: { [header]: given } })]);
  if (!fresh.headers[header]) throw checkFailed(`a request without ${header} got none back`);
  if (echoed.headers[header] !== given) {
    throw checkFailed(
      `a given ${header} was not echoed (got ${echoed.headers[header] ? "another id" : "none"})`,
    );
  }
  return `${header} issued and echoed`;
}
