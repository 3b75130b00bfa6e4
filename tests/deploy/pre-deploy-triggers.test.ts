/**
 * The day-two triggers of the steps around a deploy (docs/gates.md, "Triggers"): the watch's
 * baseline and the local scale-down step run before the deploys, so they key on the declared
 * deploy key (a secret env value too), not only on the revision; the local scale-up step runs
 * after its service's deploy and keys on that service's `deployment`.
 */
import * as assert from "assert";
import { localScaleProvider, LocalScaleOutputs } from "../../providers/local/scale";
import { baselineProvider } from "../../providers/watch/baseline";

describe("pre-deploy steps: what re-runs them", () => {
  const baseline = {
    targets: [{ service: "api", url: "http://127.0.0.1:9/health" }],
    revision: "rev1",
    deployKey: "k1",
    samples: 3,
    requestTimeoutMs: 500,
  };
  const olds = { ...baseline, figures: {}, sampledAt: "2026-01-01T00:00:00Z" };

  it("the watch baseline re-samples when the deploy key changes at the same revision, not otherwise", async () => {
    assert.strictEqual((await baselineProvider.diff!("b", olds, { ...baseline })).changes, false);
    assert.strictEqual(
      (await baselineProvider.diff!("b", olds, { ...baseline, deployKey: "k2" })).changes,
      true,
    );
    assert.strictEqual(
      (await baselineProvider.diff!("b", olds, { ...baseline, revision: "rev2" })).changes,
      true,
    );
  });

  const step: LocalScaleOutputs = {
    service: "worker",
    phase: "down",
    stateDir: "/state",
    port: 4100,
    revision: "rev1",
    deployKey: "k1",
    action: "stopped pid 1",
    scaledAt: "2026-01-01T00:00:00Z",
  };
  const { action: _a, scaledAt: _s, ...inputs } = step;

  it("the local scale-down step runs again on a new deploy key; scale-up on a new deployment", async () => {
    assert.strictEqual((await localScaleProvider.diff!("s", step, { ...inputs })).changes, false);
    assert.strictEqual(
      (await localScaleProvider.diff!("s", step, { ...inputs, deployKey: "k2" })).changes,
      true,
    );
    const up = { ...step, phase: "up" as const, deployKey: undefined, deployment: "worker:3" };
    const { action: _ua, scaledAt: _us, ...upInputs } = up;
    assert.strictEqual((await localScaleProvider.diff!("s", up, { ...upInputs })).changes, false);
    assert.strictEqual(
      (await localScaleProvider.diff!("s", up, { ...upInputs, deployment: "worker:4" })).changes,
      true,
    );
  });
});
