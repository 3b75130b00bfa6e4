/** The pack as a whole: names, levels, descriptions and the example config agree. */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { fleetgatePolicies } from "../../policies/pack";
import { REPO_ROOT } from "../support/engine";

describe("policy pack", () => {
  it("has the ten policies with unique names, a level and a description that says what to do", () => {
    const names = fleetgatePolicies.map((p) => p.name);
    assert.deepStrictEqual(names, [
      "pinned-images",
      "actions-pinned-by-sha",
      "web-health-check",
      "stateful-disk",
      "smoke-gate",
      "integrity-gate",
      "service-down-alarm",
      "secret-env-values",
      "prod-foreign-env-keys",
      "prod-reviewers",
    ]);
    for (const p of fleetgatePolicies) {
      assert.ok(p.enforcementLevel, `${p.name} has no enforcement level`);
      assert.match(
        p.description,
        /\b(Add|Set|Use|Write|List|Declare)\b/,
        `${p.name}: say what to do instead`,
      );
    }
  });

  it("ships an example --policy-pack-config whose keys are policies and options", () => {
    const example = JSON.parse(
      fs.readFileSync(path.join(REPO_ROOT, "policies", "config.example.json"), "utf8"),
    );
    for (const [name, cfg] of Object.entries(example)) {
      const policy = fleetgatePolicies.find((p) => p.name === name);
      assert.ok(policy, `config.example.json names unknown policy ${name}`);
      if (typeof cfg === "object" && cfg) {
        for (const option of Object.keys(cfg).filter((k) => k !== "enforcementLevel")) {
          assert.ok(policy.configSchema?.properties[option], `${name} has no option ${option}`);
        }
      }
    }
  });
});
