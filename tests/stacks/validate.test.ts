/**
 * Every example stack is a valid stack config, and the config it needed (custom alarms, a fleet
 * with no services, external targets under alarms) refuses its mistakes with a message that
 * names the field.
 */
import * as assert from "assert";
import { validateStackConfig } from "../../config/load";
import { EXAMPLE_STACKS, readExample, validateExample } from "./support";

type Raw = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Validates a mutated copy of an example; returns the issue lines `<path>: <message>`. */
function issuesAfter(stack: (typeof EXAMPLE_STACKS)[number], mutate: (c: Raw) => void): string[] {
  const { raw, secretKeys } = readExample(stack);
  const copy = structuredClone(raw) as Raw;
  mutate(copy);
  const r = validateStackConfig(copy, { secretKeys });
  return r.ok ? [] : r.issues.map((i) => `${i.path}: ${i.message}`);
}

function assertIssue(lines: string[], expected: string) {
  assert.ok(
    lines.some((l) => l.includes(expected)),
    `expected an issue containing\n  ${expected}\ngot:\n  ${lines.join("\n  ") || "(valid)"}`,
  );
}

describe("example stacks: config", () => {
  for (const stack of EXAMPLE_STACKS) {
    it(`${stack} validates`, () => {
      const r = validateExample(stack);
      assert.ok(r.ok, `${stack}: ${JSON.stringify(!r.ok && r.issues, null, 2)}`);
    });
  }

  it("a secret the stack references must be set", () => {
    const { raw } = readExample("atlasux");
    const r = validateStackConfig(raw, { secretKeys: new Set() });
    assert.ok(!r.ok);
    assert.ok(r.issues.some((i) => /secret "atlasDatabaseUrl" is not set/.test(i.message)));
  });

  describe("a fleet with no services of its own", () => {
    it("is valid with external targets (HotDash)", () => {
      const r = validateExample("hotdash");
      assert.ok(r.ok);
      assert.deepStrictEqual(r.ok && r.config.fleet.services, []);
    });

    it("is refused without any external target", () => {
      assertIssue(
        issuesAfter("hotdash", (c) => {
          c.fleet.externalTargets = [];
          c.gates = {};
          delete c.alarms;
        }),
        "fleet.services: must declare at least one service, or at least one externalTargets entry",
      );
    });
  });

  describe("custom alarms", () => {
    it("need a metric or an expr", () => {
      assertIssue(
        issuesAfter("atlasux", (c) => {
          delete c.alarms.custom[0].metric;
          delete c.alarms.custom[0].expr;
        }),
        "alarms.custom[0].metric: needs a CloudWatch metric, a Prometheus expr, or both",
      );
    });

    it("refuse a window that is not a whole number of periods", () => {
      assertIssue(
        issuesAfter("atlasux", (c) => (c.alarms.custom[1].windowSeconds = 1000)),
        "alarms.custom[1].windowSeconds: window of 1000 s is not a whole number of 300 s periods",
      );
    });

    it("refuse a bad comparison and a name Prometheus cannot take", () => {
      const lines = issuesAfter("atlasux", (c) => {
        c.alarms.custom[2].comparison = "=>";
        c.alarms.custom[3].name = "api-latency";
      });
      assertIssue(lines, "alarms.custom[3].name: must be a lower-case alarm name of letters, digits and '_'");
      assertIssue(lines, "alarms.custom[2].comparison: must be one of >, >=, <, <=");
    });

    it("refuse a duplicate name", () => {
      assertIssue(
        issuesAfter("atlasux", (c) => (c.alarms.custom[1].name = "engine_stalled")),
        'alarms.custom[1].name: custom alarm name "engine_stalled" is used twice',
      );
    });

    it("refuse an unknown service", () => {
      assertIssue(
        issuesAfter("atlasux", (c) => (c.alarms.custom[0].service = "atlasux-nope")),
        'alarms.custom[0].service: unknown service "atlasux-nope"; name a service or an external target',
      );
    });

    it("refuse a CloudWatch-only alarm when CloudWatch is off", () => {
      assertIssue(
        issuesAfter("atlasux", (c) => {
          delete c.alarms.custom[0].expr;
          c.alarms.cloudwatch = false;
        }),
        'alarms.custom[0].metric: alarm "engine_stalled" has only a CloudWatch metric but alarms.cloudwatch is false',
      );
    });
  });

  it("alarms may watch an external target only with a health check path", () => {
    assertIssue(
      issuesAfter("hotdash", (c) => delete c.fleet.externalTargets[0].healthCheckPath),
      'alarms.services[0]: external target "hotdash-staging" has no healthCheckPath',
    );
  });
});
