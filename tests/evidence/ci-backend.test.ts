/**
 * The generated workflows deploy from discarded runners, so the ci section must name a shared
 * state backend (Pulumi Cloud token or a PULUMI_BACKEND_URL such as s3://…), never a file.
 */
import * as assert from "assert";
import { ciConfig } from "../../config/ci";

const BASE = { repository: "acme/refapp", environments: [{ name: "dev" }] };
const issues = (ci: Record<string, unknown>) => {
  const r = ciConfig.safeParse({ ...BASE, ...ci });
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
};

describe("evidence: the workflows' shared state backend", () => {
  it("refuses a ci section without one, naming both ways to add it", () => {
    assert.deepStrictEqual(issues({}), [
      "secrets: the workflows need a shared state backend: add secret PULUMI_ACCESS_TOKEN or `pulumiOidc` (Pulumi Cloud), or variable PULUMI_BACKEND_URL (e.g. s3://<bucket>; docs/evidence.md)",
    ]);
  });

  it("accepts Pulumi Cloud or a self-managed S3 backend", () => {
    assert.deepStrictEqual(
      issues({ secrets: [{ name: "PULUMI_ACCESS_TOKEN", value: { secret: "t" } }] }),
      [],
    );
    assert.deepStrictEqual(
      issues({ variables: [{ name: "PULUMI_BACKEND_URL", value: "s3://acme-state" }] }),
      [],
    );
    // Pulumi Cloud through OIDC: the job exchanges its token, no stored PULUMI_ACCESS_TOKEN.
    assert.deepStrictEqual(
      issues({
        pulumiOidc: { organization: "acme" },
        environments: [{ name: "dev", oidcTeams: { deploy: "dev-deployers", read: "dev-readers" } }],
      }),
      [],
    );
  });

  it("refuses a file:// backend, which lives and dies with one runner", () => {
    const got = issues({ variables: [{ name: "PULUMI_BACKEND_URL", value: "file://~/.pulumi" }] });
    assert.strictEqual(got.length, 1);
    assert.match(got[0], /^variables\.0\.value: a file:\/\/ backend lives on one runner/);
  });
});
