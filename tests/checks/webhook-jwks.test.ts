/**
 * The `webhook` schemes and the `jwks` key checks (issue 18) against loopback receivers that
 * verify with the schemes' own libraries: `standardwebhooks` (Standard Webhooks, and Svix's
 * `svix-*` headers, which Svix's SDK maps onto the same verifier), `stripe`'s
 * `webhooks.constructEvent`, and `jose` for JWKS and tokens.
 */
import * as assert from "assert";
import { generateKeyPairSync, randomBytes } from "crypto";
import * as http from "http";
import { AddressInfo } from "net";
import * as jose from "jose";
import Stripe from "stripe";
import { Webhook } from "standardwebhooks";
import { runChecks } from "../../lib/checks/run";
import { CheckResult, ResolvedCheck } from "../../lib/checks/types";
import { signedHeaders } from "../../lib/checks/kinds/webhook";

const SW_SECRET = `whsec_${randomBytes(24).toString("base64")}`;
const STRIPE_SECRET = `whsec_${randomBytes(16).toString("hex")}`;

const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
const PUBLIC_JWK = { ...publicKey.export({ format: "jwk" }), kid: "svc-1", alg: "ES256", use: "sig" };
const OTHER = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;

type Route = (req: http.IncomingMessage, body: string) => Promise<[number, unknown]> | [number, unknown];

const verified = (fn: () => unknown): [number, unknown] => {
  try {
    fn();
    return [200, { received: true }];
  } catch (e) {
    return [401, { error: (e as Error).message }];
  }
};

const header = (req: http.IncomingMessage, name: string) => String(req.headers[name] ?? "");

const ROUTES: Record<string, Route> = {
  "/standard-webhooks": (req, body) =>
    verified(() =>
      new Webhook(SW_SECRET).verify(body, {
        "webhook-id": header(req, "webhook-id"),
        "webhook-timestamp": header(req, "webhook-timestamp"),
        "webhook-signature": header(req, "webhook-signature"),
      }),
    ),
  // Svix's own SDK verifies `svix-*` headers by handing them to this same verifier.
  "/svix": (req, body) =>
    verified(() =>
      new Webhook(SW_SECRET).verify(body, {
        "webhook-id": header(req, "svix-id"),
        "webhook-timestamp": header(req, "svix-timestamp"),
        "webhook-signature": header(req, "svix-signature"),
      }),
    ),
  "/stripe": (req, body) =>
    verified(() => Stripe.webhooks.constructEvent(body, header(req, "stripe-signature"), STRIPE_SECRET)),
  "/open": () => [200, { received: true }],
  "/jwks": () => [200, { keys: [PUBLIC_JWK] }],
  "/jwks-bad-key": () => [
    200,
    { keys: [PUBLIC_JWK, { kty: "EC", crv: "P-256", x: "AAAA", y: "BBBB", kid: "broken" }] },
  ],
  "/jwks-private": () => [200, { keys: [{ ...privateKey.export({ format: "jwk" }), kid: "oops" }] }],
  "/jwks-oct": () => [200, { keys: [{ kty: "oct", k: "c2VjcmV0", kid: "hmac" }] }],
  "/token": async () => [
    200,
    {
      token: await new jose.SignJWT({ sub: "smoke" })
        .setProtectedHeader({ alg: "ES256", kid: "svc-1" })
        .setIssuedAt()
        .setExpirationTime("5m")
        .sign(privateKey),
    },
  ],
  "/token-foreign": async () => [
    200,
    {
      token: await new jose.SignJWT({ sub: "smoke" })
        .setProtectedHeader({ alg: "ES256", kid: "svc-1" })
        .setExpirationTime("5m")
        .sign(OTHER),
    },
  ],
};

let server: http.Server;
let base: string;

before(async () => {
  server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", async () => {
      const route = ROUTES[new URL(req.url ?? "/", "http://x").pathname];
      const [status, payload] = route ? await route(req, body) : [404, { error: "no route" }];
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(payload));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((r) => server.close(() => r())));

function check(kind: "webhook" | "jwks", path: string, extra: Record<string, unknown>): ResolvedCheck {
  return {
    name: `c-${kind}`,
    kind,
    target: "loopback",
    path,
    url: `${base}${path}`,
    timeoutMs: 3000,
    ...extra,
  } as ResolvedCheck;
}

async function one(c: ResolvedCheck): Promise<CheckResult> {
  const [r] = await runChecks([c], { retries: 0 });
  return r;
}

const pass = (r: CheckResult) => assert.strictEqual(r.status, "pass", r.reason);
const fail = (r: CheckResult, why: RegExp) => {
  assert.strictEqual(r.status, "fail", `expected a failure, got: ${r.reason}`);
  assert.match(r.reason, why);
};

describe("webhook check: schemes verified by the receivers' own libraries", () => {
  const hook = (path: string, scheme: string, signingSecret: string) =>
    check("webhook", path, { scheme, signingSecret, signatureHeader: "x-fleetgate-signature" });

  for (const [scheme, path, secret] of [
    ["standard-webhooks", "/standard-webhooks", SW_SECRET],
    ["svix", "/svix", SW_SECRET],
    ["stripe", "/stripe", STRIPE_SECRET],
  ] as const) {
    it(`${scheme}: accepted when signed with the secret, refused unsigned and forged`, async () => {
      const ok = await one(hook(path, scheme, secret));
      pass(ok);
      assert.match(ok.reason, new RegExp(`^${scheme}: unsigned 401, forged 401, signed 200$`));
    });

    it(`${scheme}: a wrong secret fails the check`, async () => {
      const other =
        scheme === "stripe"
          ? `whsec_${randomBytes(16).toString("hex")}`
          : `whsec_${randomBytes(24).toString("base64")}`;
      fail(
        await one(hook(path, scheme, other)),
        new RegExp(`correctly signed payload \\(${scheme} scheme\\) got 401`),
      );
    });

    it(`${scheme}: an endpoint that checks nothing fails the check`, async () => {
      fail(await one(hook("/open", scheme, secret)), /an unsigned payload got 200, expected 4xx/);
    });
  }

  it("a scheme the receiver does not speak fails (stripe headers to a Svix receiver)", async () => {
    fail(await one(hook("/svix", "stripe", SW_SECRET)), /correctly signed payload \(stripe scheme\) got 401/);
  });

  it("a Standard Webhooks secret that is not whsec_<base64> fails with the fix", async () => {
    fail(
      await one(hook("/standard-webhooks", "standard-webhooks", "not base64 !!")),
      /not a standard-webhooks secret \(whsec_<base64>/,
    );
  });

  it("signs the exact headers each scheme names", () => {
    const at = new Date(1_700_000_000_000);
    assert.deepStrictEqual(Object.keys(signedHeaders("svix", SW_SECRET, "{}", { id: "msg_1", at })), [
      "svix-id",
      "svix-timestamp",
      "svix-signature",
    ]);
    assert.deepStrictEqual(
      Object.keys(signedHeaders("standard-webhooks", SW_SECRET, "{}", { id: "msg_1", at })),
      ["webhook-id", "webhook-timestamp", "webhook-signature"],
    );
    assert.match(
      signedHeaders("stripe", STRIPE_SECRET, "{}", { at })["stripe-signature"],
      /^t=1700000000,v1=[0-9a-f]{64}$/,
    );
    assert.match(
      signedHeaders("github", "s", "{}", { signatureHeader: "X-Hub-Signature-256" })["x-hub-signature-256"],
      /^sha256=[0-9a-f]{64}$/,
    );
  });
});

describe("jwks check: keys parse with jose, tokens verify", () => {
  it("passes when every key parses", async () => {
    const r = await one(check("jwks", "/jwks", {}));
    pass(r);
    assert.match(r.reason, /1 key parse/);
  });

  it("fails on a key that does not parse, naming it", async () => {
    fail(
      await one(check("jwks", "/jwks-bad-key", {})),
      /keys\[1\] \(kid broken\) does not parse as a ES256 key/,
    );
  });

  it("fails on a JWKS that publishes a private key", async () => {
    fail(await one(check("jwks", "/jwks-private", {})), /keys\[0\] holds private key material/);
  });

  it("fails on a symmetric key", async () => {
    fail(await one(check("jwks", "/jwks-oct", {})), /keys\[0\] is a symmetric \(oct\) key/);
  });

  it("verifies a token the service signs", async () => {
    const r = await one(check("jwks", "/jwks", { tokenPath: "/token" }));
    pass(r);
    assert.match(r.reason, /a token from \/token verifies \(ES256, kid svc-1\)/);
  });

  it("fails a token signed by another key", async () => {
    fail(
      await one(check("jwks", "/jwks", { tokenPath: "/token-foreign" })),
      /the token from \/token-foreign does not verify against the JWKS/,
    );
  });
});
