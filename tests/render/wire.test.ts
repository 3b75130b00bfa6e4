/**
 * Values on the plugin's wire (provider/render/wire.ts): secret wrappers and unknowns as the
 * engine sends them, canonical JSON, and base URLs compared as they route.
 */
import * as assert from "assert";
import { canonical, isUnknown, normalizeBaseUrl, reveal, secret, UNKNOWN } from "../../provider/render/wire";

describe("plugin wire values", () => {
  it("reveal removes nested secret wrappers; secret wraps with Pulumi's signature", () => {
    const wrapped = { a: secret("x"), b: [secret({ c: secret("y") })], d: 1 };
    assert.deepStrictEqual(reveal(wrapped), { a: "x", b: [{ c: "y" }], d: 1 });
    assert.deepStrictEqual(Object.keys(secret("x")).sort(), ["4dabf18193072939515e22adb298388d", "value"]);
  });

  it("isUnknown finds an unknown anywhere, also inside a secret", () => {
    assert.strictEqual(isUnknown({ a: [1, { b: secret(UNKNOWN) }] }), true);
    assert.strictEqual(isUnknown({ a: [1, { b: secret("known") }] }), false);
  });

  it("canonical JSON ignores key order", () => {
    assert.strictEqual(canonical({ b: 1, a: { d: 2, c: 3 } }), canonical({ a: { c: 3, d: 2 }, b: 1 }));
    assert.notStrictEqual(canonical({ a: 1 }), canonical({ a: "1" }));
  });

  it("base URLs: scheme/host case, default port and trailing / do not matter; the path does", () => {
    const base = normalizeBaseUrl("https://api.render.com/v1");
    for (const u of [
      "https://api.render.com/v1/",
      "HTTPS://API.Render.com/v1",
      "https://api.render.com:443/v1//",
    ]) {
      assert.strictEqual(normalizeBaseUrl(u), base, u);
    }
    assert.notStrictEqual(normalizeBaseUrl("https://api.render.com/v2"), base);
    assert.notStrictEqual(normalizeBaseUrl("https://proxy.example.com/v1"), base);
  });
});
