/**
 * docs/engine-coverage.md is what scripts/engine-coverage.ts generates today (not edited by
 * hand, not stale) and shows 100 % of resource types and policies with an engine test.
 */
import * as assert from "assert";
import * as path from "path";
import { REPO_ROOT, runAsync } from "../support/engine";

describe("engine coverage page", function () {
  this.timeout(180_000);

  it("is current and complete (scripts/engine-coverage.ts --check)", async () => {
    const r = await runAsync(
      process.execPath,
      ["-r", "ts-node/register/transpile-only", path.join("scripts", "engine-coverage.ts"), "--check"],
      { cwd: REPO_ROOT },
    );
    assert.strictEqual(r.code, 0, r.output);
  });
});
