/**
 * `webhook`: the endpoint checks signatures. An unsigned and a wrongly signed payload must be
 * refused (4xx); the same payload correctly signed under the shared secret must be accepted (2xx).
 *
 * `scheme` says how the sender signs, each with the maintained library of that scheme rather
 * than hand-written signing where one exists:
 * - `github`: `sha256=<hex HMAC-SHA256 of the body>` in `signatureHeader` (a plain HMAC; GitHub's
 *   own scheme, no library needed);
 * - `standard-webhooks`: the Standard Webhooks spec (`webhook-id`, `webhook-timestamp`,
 *   `webhook-signature`), signed with the `standardwebhooks` package;
 * - `svix`: the same signature under Svix's `svix-*` header names (Clerk webhooks);
 * - `stripe`: `Stripe-Signature: t=<unix>,v1=<hex>`, from the `stripe` package's
 *   `webhooks.generateTestHeaderString`.
 */
import { createHmac, randomBytes } from "crypto";
import { checkFailed } from "../failure";
import type { CheckContext } from "../context";

export type WebhookScheme = "github" | "standard-webhooks" | "svix" | "stripe";

export interface SignOptions {
  /** Header of the `github` scheme. */
  signatureHeader?: string;
  /** Message id of the Standard Webhooks / Svix schemes. */
  id?: string;
  /** Signing time (defaults to now). */
  at?: Date;
}

/** GitHub-style `sha256=<hex>` signature of `body`. */
export function webhookSignature(secret: string, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

/** The request headers that sign `body` under `secret` in `scheme`. */
export function signedHeaders(
  scheme: WebhookScheme,
  secret: string,
  body: string,
  opts: SignOptions = {},
): Record<string, string> {
  const at = opts.at ?? new Date();
  const id = opts.id ?? `msg_${randomBytes(12).toString("hex")}`;
  switch (scheme) {
    case "github":
      return {
        [(opts.signatureHeader ?? "x-fleetgate-signature").toLowerCase()]: webhookSignature(secret, body),
      };
    case "standard-webhooks":
    case "svix": {
      const { Webhook } = require("standardwebhooks") as typeof import("standardwebhooks");
      let signer: InstanceType<typeof Webhook>;
      try {
        signer = new Webhook(secret);
      } catch (e) {
        throw checkFailed(
          `the signing secret is not a ${scheme} secret (whsec_<base64>, as the provider's dashboard shows it): ${(e as Error).message}`,
        );
      }
      const prefix = scheme === "svix" ? "svix" : "webhook";
      return {
        [`${prefix}-id`]: id,
        [`${prefix}-timestamp`]: String(Math.floor(at.getTime() / 1000)),
        [`${prefix}-signature`]: signer.sign(id, at, body),
      };
    }
    case "stripe": {
      const Stripe = require("stripe") as typeof import("stripe");
      const header = Stripe.webhooks.generateTestHeaderString({
        payload: body,
        secret,
        timestamp: Math.floor(at.getTime() / 1000),
      });
      return { "stripe-signature": header };
    }
  }
}

/** A secret of the scheme's own format that is not the real one: for the forged request. */
function wrongSecret(scheme: WebhookScheme): string {
  const random = randomBytes(24);
  if (scheme === "standard-webhooks" || scheme === "svix") return `whsec_${random.toString("base64")}`;
  if (scheme === "stripe") return `whsec_${random.toString("hex")}`;
  return random.toString("hex");
}

/** A test event in the shape the scheme's senders use, so a receiver can parse it. */
function testEvent(scheme: WebhookScheme): string {
  const id = `evt_${randomBytes(8).toString("hex")}`;
  if (scheme === "stripe") {
    return JSON.stringify({
      id,
      object: "event",
      type: "fleetgate.smoke",
      created: Math.floor(Date.now() / 1000),
      data: { object: {} },
    });
  }
  if (scheme === "svix" || scheme === "standard-webhooks") {
    return JSON.stringify({ type: "fleetgate.smoke", timestamp: new Date().toISOString(), data: { id } });
  }
  return JSON.stringify({ type: "fleetgate.smoke", id, createdAt: new Date().toISOString() });
}

export async function webhookSignatureCheck(ctx: CheckContext): Promise<string> {
  const check = ctx.check;
  if (check.kind !== "webhook") throw new Error(`webhookSignatureCheck got a ${check.kind} check`);
  if (!check.signingSecret) throw checkFailed("the signing secret is not set");
  const scheme: WebhookScheme = check.scheme ?? "github";
  const body = testEvent(scheme);
  const opts = { signatureHeader: check.signatureHeader };
  const post = (headers: Record<string, string>) =>
    ctx.send({ method: "POST", body, headers: { "content-type": "application/json", ...headers } });
  const [unsigned, forged] = await Promise.all([
    post({}),
    post(signedHeaders(scheme, wrongSecret(scheme), body, opts)),
  ]);
  const refused = (s: number) => s >= 400 && s < 500;
  if (!refused(unsigned.status))
    throw checkFailed(`an unsigned payload got ${unsigned.status}, expected 4xx`);
  if (!refused(forged.status))
    throw checkFailed(`a wrongly signed payload got ${forged.status}, expected 4xx`);
  const signed = await post(signedHeaders(scheme, check.signingSecret, body, opts));
  if (signed.status < 200 || signed.status > 299) {
    throw checkFailed(`a correctly signed payload (${scheme} scheme) got ${signed.status}, expected 2xx`);
  }
  return `${scheme}: unsigned ${unsigned.status}, forged ${forged.status}, signed ${signed.status}`;
}
