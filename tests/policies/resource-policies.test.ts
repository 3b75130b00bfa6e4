/**
 * Each resource policy with compliant and violating cases, run through the policy SDK's
 * argument shapes (see util.ts).
 */
import { UnknownValueError } from "@pulumi/policy";
import * as assert from "assert";
import { actionsPinnedBySha } from "../../policies/actionsPinned";
import { webHealthCheck } from "../../policies/healthCheck";
import { pinnedImages } from "../../policies/pinnedImages";
import { prodReviewers } from "../../policies/prodReviewers";
import { secretEnvValues } from "../../policies/secretEnvValues";
import { statefulDisk } from "../../policies/statefulDisk";
import {
  DIGEST,
  envSet,
  envVars,
  githubEnvironment,
  localService,
  PINNED,
  renderService,
  SHA,
  workflowFile,
} from "./fixtures";
import {
  assertNoViolations,
  assertOneViolation,
  runResourcePolicy,
  UNKNOWN_ARRAY,
  UNKNOWN_STRING,
} from "./util";

describe("policy pinned-images", () => {
  it("accepts exact versions and digests on Render and local services", async () => {
    assertNoViolations(await runResourcePolicy(pinnedImages, renderService("api", { image: PINNED })));
    assertNoViolations(await runResourcePolicy(pinnedImages, renderService("api", { image: DIGEST })));
    assertNoViolations(await runResourcePolicy(pinnedImages, localService("api", { image: "api:v1.101.0" })));
  });

  it("refuses latest, a missing tag and a floating tag, naming the service and the fix", async () => {
    assertOneViolation(
      await runResourcePolicy(pinnedImages, renderService("api", { image: "api:latest" })),
      /service "api" image "api:latest": tag "latest" is not pinned; use a digest or an exact version/,
    );
    assertOneViolation(
      await runResourcePolicy(pinnedImages, localService("gw", { image: "ghcr.io/org/gw" })),
      /service "gw" image "ghcr.io\/org\/gw": image "ghcr.io\/org\/gw" has no tag/,
    );
    assertOneViolation(
      await runResourcePolicy(pinnedImages, renderService("api", { image: "api:stable" })),
      /tag "stable" is not pinned/,
    );
    assertOneViolation(
      await runResourcePolicy(pinnedImages, renderService("api", { image: "api:1.2" })),
      /tag "1.2" is not an exact version/,
    );
  });

  it("takes extra floating tags from its config", async () => {
    const svc = renderService("api", { image: "api:1.0.0-rc" });
    assertNoViolations(await runResourcePolicy(pinnedImages, svc));
    assertOneViolation(
      await runResourcePolicy(
        pinnedImages,
        { ...svc, props: { ...svc.props, image: "api:canary" } },
        {
          floatingTags: ["canary"],
        },
      ),
      /tag "canary" is not pinned/,
    );
  });

  it("checks the image of Docker resources", async () => {
    assertOneViolation(
      await runResourcePolicy(pinnedImages, {
        type: "docker:index/remoteImage:RemoteImage",
        name: "pg",
        props: { name: "postgres" },
      }),
      /docker:index\/remoteImage:RemoteImage "pg" name "postgres": image "postgres" has no tag/,
    );
    assertNoViolations(
      await runResourcePolicy(pinnedImages, {
        type: "docker:index/container:Container",
        name: "pg",
        props: { image: "postgres:16.4.0" },
      }),
    );
  });

  it("checks job containers, service containers and docker:// steps of workflow files", async () => {
    const content = [
      "on: push",
      "jobs:",
      "  test:",
      "    runs-on: ubuntu-24.04",
      "    container: node:20",
      "    services:",
      "      db:",
      "        image: postgres:latest",
      "      cache:",
      `        image: ${DIGEST}`,
      "    steps:",
      `      - uses: actions/checkout@${SHA}`,
      "      - uses: docker://alpine",
      "  lint:",
      "    runs-on: ubuntu-24.04",
      "    container:",
      "      image: node:20.18.0",
    ].join("\n");
    const found = await runResourcePolicy(pinnedImages, workflowFile(".github/workflows/ci.yml", content));
    assert.strictEqual(found.length, 3, JSON.stringify(found, null, 2));
    assert.match(
      found[0].message,
      /^workflow \.github\/workflows\/ci\.yml jobs\.test\.container image "node:20": tag "20" is not an exact version/,
    );
    assert.match(
      found[1].message,
      /^workflow \.github\/workflows\/ci\.yml jobs\.test\.services\.db\.image image "postgres:latest": tag "latest" is not pinned/,
    );
    assert.match(
      found[2].message,
      /^workflow \.github\/workflows\/ci\.yml jobs\.test\.steps\[1\]\.uses image "alpine": image "alpine" has no tag/,
    );
  });

  it("refuses an image given as a workflow expression (it cannot be verified)", async () => {
    const content = "on: push\njobs:\n  t:\n    runs-on: ubuntu-24.04\n    container: ${{ matrix.image }}\n";
    assertOneViolation(
      await runResourcePolicy(pinnedImages, workflowFile(".github/workflows/t.yml", content)),
      /jobs\.t\.container image "\$\{\{ matrix\.image \}\}" is an expression, so its pinning cannot be checked/,
    );
  });

  it("ignores repository files that are not workflows", async () => {
    assertNoViolations(
      await runResourcePolicy(pinnedImages, workflowFile("docs/example.yml", "jobs: {a: {container: node}}")),
    );
  });

  it("leaves an image unknown during preview to the SDK (reported as can't run, advisory)", async () => {
    await assert.rejects(
      runResourcePolicy(pinnedImages, renderService("api", { image: UNKNOWN_STRING })),
      UnknownValueError,
    );
  });
});

describe("policy actions-pinned-by-sha", () => {
  const wf = (uses: string[]) =>
    workflowFile(
      ".github/workflows/ci.yml",
      [
        "on: push",
        "jobs:",
        "  build:",
        "    runs-on: ubuntu-24.04",
        "    steps:",
        ...uses.map((u) => `      - uses: ${u}`),
      ].join("\n"),
    );

  it("accepts full commit SHAs, local actions and docker:// steps", async () => {
    assertNoViolations(
      await runResourcePolicy(
        actionsPinnedBySha,
        wf([
          `actions/checkout@${SHA}`,
          "./.github/actions/setup",
          `docker://alpine@sha256:${"b".repeat(64)}`,
        ]),
      ),
    );
  });

  it("refuses tags, branches, short SHAs and missing refs, with the step and the fix", async () => {
    const found = await runResourcePolicy(
      actionsPinnedBySha,
      wf(["actions/checkout@v4", "pulumi/actions@main", "actions/cache@11bd719", "owner/action"]),
    );
    assert.strictEqual(found.length, 4, JSON.stringify(found));
    assert.match(
      found[0].message,
      /workflow \.github\/workflows\/ci\.yml jobs\.build\.steps\[0\]\.uses: "actions\/checkout@v4" is pinned to "v4", which can move; use actions\/checkout@<40-character commit SHA> with the version as a comment \(# v4\)/,
    );
    assert.match(found[1].message, /"pulumi\/actions@main" is pinned to "main"/);
    assert.match(found[2].message, /"actions\/cache@11bd719" is pinned to "11bd719"/);
    assert.match(found[3].message, /"owner\/action" has no @ref/);
  });

  it("checks reusable-workflow jobs too", async () => {
    const file = workflowFile(
      ".github/workflows/deploy.yaml",
      "on: push\njobs:\n  call:\n    uses: org/infra/.github/workflows/deploy.yml@v2\n",
    );
    assertOneViolation(
      await runResourcePolicy(actionsPinnedBySha, file),
      /jobs\.call\.uses: .*is pinned to "v2"/,
    );
  });

  it("reports a workflow that is not valid YAML instead of passing it", async () => {
    assertOneViolation(
      await runResourcePolicy(actionsPinnedBySha, workflowFile(".github/workflows/x.yml", "jobs: [unclosed")),
      /workflow \.github\/workflows\/x\.yml is not valid YAML/,
    );
  });
});

describe("policy web-health-check", () => {
  it("accepts a public web service with a health check path, and workers without one", async () => {
    assertNoViolations(await runResourcePolicy(webHealthCheck, renderService("api")));
    assertNoViolations(
      await runResourcePolicy(webHealthCheck, renderService("jobs", { serviceType: "worker" })),
    );
    assertNoViolations(
      await runResourcePolicy(webHealthCheck, renderService("int", { serviceType: "private" })),
    );
  });

  it("refuses a public web service without one (Render and local)", async () => {
    const noPath = renderService("api");
    delete noPath.props.healthCheckPath;
    assertOneViolation(
      await runResourcePolicy(webHealthCheck, noPath),
      /public service "api" has no health check path; set healthCheckPath \(e\.g\. \/health\)/,
    );
    assertOneViolation(
      await runResourcePolicy(webHealthCheck, localService("dash", { healthCheckPath: "" })),
      /public service "dash" has no health check path/,
    );
  });
});

describe("policy secret-env-values", () => {
  it("accepts plain non-secret names and secret-looking names with secret values", async () => {
    assertNoViolations(
      await runResourcePolicy(
        secretEnvValues,
        envSet("backend", {
          plain: ["NODE_ENV", "LOG_LEVEL", "PORT", "STRIPE_PUBLISHABLE_KEY", "KEYCLOAK_REALM"],
          secret: ["DATABASE_URL", "JWT_SECRET", "SENDGRID_API_KEY"],
        }),
      ),
    );
  });

  it("refuses plain values under secret-looking names, naming key and set (never a value)", async () => {
    const found = await runResourcePolicy(
      secretEnvValues,
      envSet("backend", {
        plain: ["NODE_ENV", "GITHUB_TOKEN", "DB_PASSWORD", "SENDGRID_API_KEY", "DATABASE_URL", "jwt_secret"],
      }),
    );
    assert.deepStrictEqual(
      found.map((v) => v.message.split(" ")[2]),
      ["GITHUB_TOKEN", "DB_PASSWORD", "SENDGRID_API_KEY", "DATABASE_URL", "jwt_secret"],
    );
    assert.match(
      found[0].message,
      /env var GITHUB_TOKEN of set "backend" has a plain value but its name looks secret; run `pulumi config set --secret fleetgate:<key> <value>` and write GITHUB_TOKEN: \{ secret: <key> \}/,
    );
    assert.ok(!found.some((v) => v.message.includes("[secret]")));
  });

  it("reads the plugin's per-service EnvVars the same way, naming the service", async () => {
    const found = await runResourcePolicy(
      secretEnvValues,
      envVars("api", { plain: ["NODE_ENV", "GITHUB_TOKEN"], secret: ["DB_PASSWORD"] }),
    );
    assert.deepStrictEqual(
      found.map((v) => v.message),
      [
        'env var GITHUB_TOKEN of env vars of service "api" has a plain value but its name looks secret; run `pulumi config set --secret fleetgate:<key> <value>` and write GITHUB_TOKEN: { secret: <key> }',
      ],
    );
  });

  it("applies to local env files and takes its patterns from config", async () => {
    const file = {
      ...envSet("demo", { plain: ["SESSION_COOKIE", "MY_PUBLIC_TOKEN", "ADMIN_PASSWORD"] }),
      type: "pulumi-nodejs:dynamic/local:EnvFile",
    };
    // Defaults: PUBLIC names may stay plain, COOKIE is not a secret word.
    assertOneViolation(
      await runResourcePolicy(secretEnvValues, file),
      /^env var ADMIN_PASSWORD of set "demo"/,
    );
    assertOneViolation(
      await runResourcePolicy(secretEnvValues, file, {
        secretNamePatterns: ["COOKIE"],
        allowPlainPatterns: [],
      }),
      /^env var SESSION_COOKIE of set "demo"/,
    );
  });

  it("names a bad pattern in its config", async () => {
    await assert.rejects(
      runResourcePolicy(secretEnvValues, envSet("b", { plain: ["X"] }), {
        secretNamePatterns: ["(unclosed"],
      }),
      /secret-env-values\.secretNamePatterns: "\(unclosed" is not a valid regular expression/,
    );
  });
});

describe("policy prod-reviewers", () => {
  it("accepts a prod environment with reviewers, and other environments without", async () => {
    assertNoViolations(
      await runResourcePolicy(prodReviewers, githubEnvironment("prod", [{ users: [101], teams: [] }])),
    );
    assertNoViolations(await runResourcePolicy(prodReviewers, githubEnvironment("prod", [{ teams: [7] }])));
    assertNoViolations(await runResourcePolicy(prodReviewers, githubEnvironment("dev", undefined)));
  });

  it("refuses a prod environment without reviewers", async () => {
    assertOneViolation(
      await runResourcePolicy(prodReviewers, githubEnvironment("prod", undefined)),
      /GitHub environment "prod" has no required reviewers; list users or teams as reviewers of prod in the ci section/,
    );
    assertOneViolation(
      await runResourcePolicy(prodReviewers, githubEnvironment("prod", [{ users: [], teams: [] }])),
      /"prod" has no required reviewers/,
    );
  });

  it("protects the environments its config names, and trusts reviewer ids unknown during preview", async () => {
    assertOneViolation(
      await runResourcePolicy(prodReviewers, githubEnvironment("staging", []), { environments: ["staging"] }),
      /"staging" has no required reviewers/,
    );
    assertNoViolations(
      await runResourcePolicy(prodReviewers, githubEnvironment("prod", [{ users: UNKNOWN_ARRAY }])),
    );
  });
});

describe("policy stateful-disk", () => {
  const stateful = (props: Record<string, unknown>) => {
    const svc = renderService("search", { serviceType: "worker" });
    return { ...svc, props: { ...svc.props, ...props } };
  };

  it("accepts a stateful Render service with a disk, and services not marked stateful", async () => {
    const disk = { name: "search-data", mountPath: "/var/lib/search", sizeGB: 10 };
    assertNoViolations(await runResourcePolicy(statefulDisk, stateful({ stateful: true, disk })));
    assertNoViolations(await runResourcePolicy(statefulDisk, stateful({})));
    // The local platform's processes keep their files: no disk to ask for there.
    assertNoViolations(await runResourcePolicy(statefulDisk, localService("search", { stateful: true })));
  });

  it("refuses a stateful Render service without a disk (or with half a disk), naming it and the fix", async () => {
    assertOneViolation(
      await runResourcePolicy(statefulDisk, stateful({ stateful: true })),
      /service "search" is marked stateful but has no disk: its data would be lost on every deploy; add disk: \{ mountPath, sizeGB \}/,
    );
    assertOneViolation(
      await runResourcePolicy(statefulDisk, stateful({ stateful: true, disk: { mountPath: "/data" } })),
      /service "search" is marked stateful but has no disk/,
    );
  });
});
