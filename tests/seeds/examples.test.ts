/**
 * Each example README's mapping table against its own summary: the counts at the top equal the
 * rows of each status, rows are numbered 1..n, every approximate row says what is lost and
 * every not-expressible row says why, and the fixes made against the seeds stay in the stacks.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { REPO_ROOT } from "../support/engine";

const STACKS = ["atlasux", "hatidata", "haven", "hotdash", "madbase"];
type Status = "expressed" | "approximate" | "not expressible";

function table(stack: string) {
  const text = fs.readFileSync(path.join(REPO_ROOT, "examples", "stacks", stack, "README.md"), "utf8");
  const head =
    /\*\*Practices: (\d+)\. Expressed: (\d+)\. Approximate: (\d+)\. Not expressible: (\d+)\.\*\*/.exec(text);
  const rows = [
    ...text.matchAll(/^\| (\d+)\s+\|(.*?)\|\s*(expressed|approximate|not expressible)\s*\|(.*)\|\s*$/gm),
  ].map((m) => ({ n: Number(m[1]), practice: m[2].trim(), status: m[3] as Status, where: m[4].trim() }));
  return { head, rows };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function stackFile(stack: string): Record<string, any> {
  const file = path.join(REPO_ROOT, "examples", "stacks", stack, `Pulumi.${stack}.yaml`);
  return parse(fs.readFileSync(file, "utf8")).config;
}

describe("example READMEs: mapping tables against the seeds", () => {
  for (const stack of STACKS) {
    it(`${stack}: the counts at the top match the table, and every row says where, what is lost or why`, () => {
      const { head, rows } = table(stack);
      assert.ok(head, `${stack}: no "**Practices: n. Expressed: …**" line`);
      const [, total, expressed, approximate, notExpressible] = head!.map(Number);
      const count = (s: Status) => rows.filter((r) => r.status === s).length;
      assert.deepStrictEqual(
        [rows.length, count("expressed"), count("approximate"), count("not expressible")],
        [total, expressed, approximate, notExpressible],
      );
      assert.deepStrictEqual(
        rows.map((r) => r.n),
        rows.map((_, i) => i + 1),
      );
      for (const r of rows) {
        assert.ok(r.practice && r.where.length > 10, `${stack} #${r.n} has no explanation`);
        if (r.status === "approximate")
          assert.match(r.where, /lost/, `${stack} #${r.n} does not say what is lost`);
      }
    });
  }

  it("HatiData's test command reads the variable its two feature-flag variants set", () => {
    const ci = stackFile("hatidata")["fleetgate:ci"];
    const keys = new Set(ci.featureFlags.flatMap((v: { env: object }) => Object.keys(v.env)));
    assert.strictEqual(keys.size, 1);
    const [key] = [...keys] as string[];
    assert.ok(ci.commands.test.includes(`$${key}`), `commands.test does not read ${key}`);
    const values = ci.featureFlags.map((v: { env: Record<string, string> }) => v.env[key]);
    assert.strictEqual(new Set(values).size, 2);
  });

  it("MadBase alerts p99 latency and ServiceDown on every target, and keeps its stateful services on disks", () => {
    const cfg = stackFile("madbase");
    assert.deepStrictEqual(cfg["fleetgate:alarms"].latency.quantiles, [0.95, 0.99]);
    const any = cfg["fleetgate:alarms"].custom.find(
      (c: { name: string }) => c.name === "service_down_any_target",
    );
    assert.ok(any && !/service=/.test(any.expr) && any.windowSeconds === 60 && any.severity === "P1");
    for (const name of ["madbase-victoria-metrics", "madbase-loki", "madbase-grafana"]) {
      const s = cfg["fleetgate:fleet"].services.find((x: { name: string }) => x.name === name);
      assert.ok(s.stateful && s.disk, `${name} has no disk`);
    }
  });

  it("HotDash checks Chatwoot's real Fly app, chatwoot-staging", () => {
    const targets = stackFile("hotdash")["fleetgate:fleet"].externalTargets;
    const chatwoot = targets.find((t: { url: string }) => /chatwoot/.test(t.url));
    assert.strictEqual(chatwoot.url, "https://chatwoot-staging.fly.dev");
    const rule = stackFile("hotdash")["fleetgate:alarms"].custom.find(
      (c: { name: string }) => c.name === "fly_any_5xx",
    );
    assert.match(rule.expr, /chatwoot-staging/);
  });
});
