/**
 * `jwks`: the JWKS document is reachable, holds a non-empty `keys` array, and every key parses
 * as a public key (with `jose`); a JWKS that publishes a private or symmetric key fails. With
 * `tokenPath`, a token the service issues there (the body, or its JSON `token` field) must
 * verify against the document's keys.
 */
import { checkFailed } from "../failure";
import { expectOk, jsonBody } from "../http";
import type { CheckContext } from "../context";

type Jwk = Record<string, unknown>;

// The algorithm a key without `alg` is checked for: the usual one of its type and curve.
function defaultAlg(key: Jwk): string | undefined {
  if (key.kty === "RSA") return "RS256";
  if (key.kty === "EC")
    return ({ "P-256": "ES256", "P-384": "ES384", "P-521": "ES512" } as Record<string, string>)[
      String(key.crv)
    ];
  if (key.kty === "OKP") return "EdDSA";
  return undefined;
}

async function checkKey(key: unknown, i: number): Promise<void> {
  const jose = require("jose") as typeof import("jose");
  if (!key || typeof key !== "object" || typeof (key as Jwk).kty !== "string")
    throw checkFailed(`keys[${i}] has no kty`);
  const jwk = key as Jwk;
  if (jwk.kty === "oct")
    throw checkFailed(`keys[${i}] is a symmetric (oct) key; a JWKS must publish public keys only`);
  if ("d" in jwk || "p" in jwk)
    throw checkFailed(`keys[${i}] holds private key material ("d"); publish the public part only`);
  const alg = typeof jwk.alg === "string" ? jwk.alg : defaultAlg(jwk);
  if (!alg)
    throw checkFailed(
      `keys[${i}] (kty ${String(jwk.kty)}, crv ${String(jwk.crv)}) is of no signing algorithm jose knows`,
    );
  try {
    await jose.importJWK(jwk as unknown as import("jose").JWK, alg);
  } catch (e) {
    throw checkFailed(
      `keys[${i}]${jwk.kid ? ` (kid ${String(jwk.kid)})` : ""} does not parse as a ${alg} key: ${(e as Error).message}`,
    );
  }
}

export async function jwksCheck(ctx: CheckContext): Promise<string> {
  const res = await ctx.send({ headers: { accept: "application/json" } });
  expectOk(res);
  const doc = jsonBody(res) as { keys?: unknown };
  if (!Array.isArray(doc?.keys)) throw checkFailed("the JWKS has no keys array");
  if (doc.keys.length === 0) throw checkFailed("the JWKS keys array is empty");
  for (const [i, key] of doc.keys.entries()) await checkKey(key, i);
  const note = `${doc.keys.length} key${doc.keys.length === 1 ? "" : "s"} parse`;
  const check = ctx.check;
  if (check.kind !== "jwks" || !check.tokenPath) return note;

  const url = new URL(check.tokenPath, check.url).toString();
  const tokenRes = await ctx.send({ url, headers: { accept: "application/json, text/plain" } });
  expectOk(tokenRes);
  const text = tokenRes.body.trim();
  let token = text;
  if (text.startsWith("{")) {
    const field = (jsonBody(tokenRes) as { token?: unknown }).token;
    if (typeof field !== "string")
      throw checkFailed(`${check.tokenPath} answered JSON without a "token" string`);
    token = field;
  }
  const jose = require("jose") as typeof import("jose");
  try {
    const { protectedHeader } = await jose.jwtVerify(
      token,
      jose.createLocalJWKSet(doc as import("jose").JSONWebKeySet),
    );
    return `${note}; a token from ${check.tokenPath} verifies (${protectedHeader.alg}${protectedHeader.kid ? `, kid ${protectedHeader.kid}` : ""})`;
  } catch (e) {
    throw checkFailed(
      `the token from ${check.tokenPath} does not verify against the JWKS: ${(e as Error).message}`,
    );
  }
}
