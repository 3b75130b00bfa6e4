/**
 * The complete-merged-set rule (providers/envsets/merge.ts) on its own, including key names
 * that collide with Object.prototype members.
 */
import * as assert from "assert";
import { mergeEnvVars, sameEnvVars } from "../../providers/envsets/merge";

describe("env sets: the merge rule", () => {
  it("keeps foreign keys, drops owned keys no longer declared, applies declared values", () => {
    const r = mergeEnvVars({ A: "1", OLD: "x", HAND: "h" }, ["A", "OLD"], { A: "2", NEW: "n" });
    assert.deepStrictEqual(r.merged, { HAND: "h", A: "2", NEW: "n" });
    assert.deepStrictEqual(r.foreignKeys, ["HAND"]);
    assert.deepStrictEqual(r.removedKeys, ["OLD"]);
  });

  it("treats keys named like Object.prototype members as ordinary keys", () => {
    const current = JSON.parse('{"constructor":"c","toString":"t","__proto__":"p"}');
    const r = mergeEnvVars(current, [], { valueOf: "v" });
    assert.deepStrictEqual(r.foreignKeys, ["__proto__", "constructor", "toString"]);
    assert.ok(Object.hasOwn(r.merged, "__proto__"));
    assert.strictEqual(Object.getPrototypeOf(r.merged), Object.prototype);
    assert.strictEqual(r.merged.constructor, "c");
    assert.strictEqual(r.merged.valueOf, "v");
    const owned = mergeEnvVars({ constructor: "c" }, ["constructor"], {});
    assert.deepStrictEqual(owned.removedKeys, ["constructor"]);
    assert.deepStrictEqual(Object.keys(owned.merged), []);
  });

  it("compares sets regardless of order", () => {
    assert.ok(sameEnvVars({ A: "1", B: "2" }, { B: "2", A: "1" }));
    assert.ok(!sameEnvVars({ A: "1" }, { A: "1", B: "2" }));
    assert.ok(!sameEnvVars({ A: "1" }, { A: "2" }));
  });
});
