/** `apiKey`: a valid key is accepted (2xx) and a made-up key is refused (401/403). */
import { randomBytes } from "crypto";
import { checkFailed } from "../failure";
import type { CheckContext } from "../context";

/** The header that carries a key: `authorization` gets the `Bearer ` scheme, others the bare key. */
export function keyHeader(header: string, key: string): Record<string, string> {
  const name = header.toLowerCase();
  return { [name]: name === "authorization" ? `Bearer ${key}` : key };
}

export async function apiKeyCheck(ctx: CheckContext): Promise<string> {
  const check = ctx.check;
  if (check.kind !== "apiKey") throw new Error(`apiKeyCheck got a ${check.kind} check`);
  if (!check.validKey) throw checkFailed("the valid key is not set (validKey resolved to nothing)");
  const badKey = `fleetgate-invalid-${randomBytes(12).toString("hex")}`;
  const [good, bad] = await Promise.all([
    ctx.send({ headers: keyHeader(check.header, check.validKey) }),
    ctx.send({ headers: keyHeader(check.header, badKey) }),
  ]);
  if (good.status < 200 || good.status > 299) {
    throw checkFailed(`the valid key was refused with ${good.status}, expected 2xx`);
  }
  if (bad.status !== 401 && bad.status !== 403) {
    throw checkFailed(`a bad key got ${bad.status}, expected 401 or 403`);
  }
  return `valid key ${good.status}, bad key ${bad.status}`;
}
