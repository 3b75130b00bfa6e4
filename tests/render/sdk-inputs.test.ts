import { strict as assert } from "assert";
import { definedInputs } from "../../provider/sdk/inputs";

describe("Render SDK props (provider/sdk/inputs.ts)", () => {
  it("leaves out only the keys whose value is undefined (null, empty and false stay)", () => {
    const props = definedInputs({
      name: "api",
      plan: undefined,
      dockerCommand: "",
      instances: 0,
      adopt: false,
      schedule: null,
    });
    assert.deepEqual(props, { name: "api", dockerCommand: "", instances: 0, adopt: false, schedule: null });
    assert.ok(!("plan" in props));
  });
});
