/**
 * `webhook`: the endpoint checks signatures. An unsigned and a wrongly signed payload must be
 * refused (4xx); the same payload signed with HMAC-SHA256 of the body under the shared secret,
 * sent as `sha256=<hex>` in the signature header, must be accepted (2xx).
 */
import { createHmac, randomBytes } from "crypto";
import { checkFailed } from "../failure";
import type { CheckContext } from "../context";

export function webhookSignature(secret: string, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

export async function webhookSignatureCheck(ctx: CheckContext): Promise<string> {
  const check = ctx.check;
  if (check.kind !== "webhook") throw new Error(`webhookSignatureCheck got a ${check.kind} check`);
  if (!check.signingSecret) throw checkFailed("the signing secret is not set");
  const body = JSON.stringify({
    type: "fleetgate.smoke",
    id: `evt_${randomBytes(8).toString("hex")}`,
    createdAt: new Date().toISOString(),
  });
  const header = check.signatureHeader.toLowerCase();
  const post = (signature?: string) =>
    ctx.send({
      method: "POST",
      body,
      headers: { "content-type": "application/json", ...(signature ? { [header]: signature } : {}) },
    });
  const wrong = webhookSignature(randomBytes(16).toString("hex"), body);
  const [unsigned, forged] = await Promise.all([post(), post(wrong)]);
  const refused = (s: number) => s >= 400 && s < 500;
  if (!refused(unsigned.status))
    throw checkFailed(`an unsigned payload got ${unsigned.status}, expected 4xx`);
  if (!refused(forged.status))
    throw checkFailed(`a wrongly signed payload got ${forged.status}, expected 4xx`);
  const signed = await post(webhookSignature(check.signingSecret, body));
  if (signed.status < 200 || signed.status > 299) {
    throw checkFailed(`a correctly signed payload got ${signed.status}, expected 2xx`);
  }
  return `unsigned ${unsigned.status}, forged ${forged.status}, signed ${signed.status}`;
}
