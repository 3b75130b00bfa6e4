/**
 * The image-reference grammar table (issue 18): valid and invalid references, each with the
 * reason, run against the validator (config/image.ts), the stack schema and the policy pack's
 * pinned-images rule, which share one parser. Cases marked "distribution" are ported from the
 * Docker distribution project's reference tests (reference_test.go / normalize_test.go),
 * adapted to familiar names (Docker's defaults: docker.io, library/).
 */
import * as assert from "assert";
import { checkImageRef, normalizeImageRef, unpinnedReason } from "../../config/image";
import { validateStackConfig } from "../../config/load";
import { pinnedImages } from "../../policies/pinnedImages";
import { renderService } from "../policies/fixtures";
import { runResourcePolicy } from "../policies/util";
import { base, SECRETS } from "./base";

const F64 = "f".repeat(64);
const SHA = `sha256:${F64}`;

interface Valid {
  input: string;
  /** Docker's normalized form (how Render echoes the reference back). */
  normalized: string;
  /** undefined when pinned; else a substring of why it is not. */
  unpinned?: string;
  why: string;
}

interface Invalid {
  input: string;
  /** A substring of the reason given. */
  reason: string;
  why: string;
}

const VALID: Valid[] = [
  {
    input: "test_com",
    normalized: "docker.io/library/test_com:latest",
    unpinned: "has no tag",
    why: "distribution: underscore in a name",
  },
  {
    input: "test.com:tag",
    normalized: "docker.io/library/test.com:tag",
    unpinned: 'tag "tag" is not an exact version',
    why: "distribution: a dot without a slash is a name, not a registry",
  },
  {
    input: "test.com:5000",
    normalized: "docker.io/library/test.com:5000",
    unpinned: 'tag "5000"',
    why: "distribution: a port-like suffix without a slash is a tag",
  },
  {
    input: "test.com/repo:tag",
    normalized: "test.com/repo:tag",
    unpinned: 'tag "tag"',
    why: "distribution: registry with a dot",
  },
  {
    input: "test:5000/repo",
    normalized: "test:5000/repo:latest",
    unpinned: "has no tag",
    why: "distribution: registry with a port",
  },
  {
    input: "test:5000/repo:tag",
    normalized: "test:5000/repo:tag",
    unpinned: 'tag "tag"',
    why: "distribution: registry with a port and a tag",
  },
  { input: `test:5000/repo@${SHA}`, normalized: `test:5000/repo@${SHA}`, why: "distribution: digest" },
  {
    input: `test:5000/repo:tag@${SHA}`,
    normalized: `test:5000/repo:tag@${SHA}`,
    why: "distribution: tag and digest; the digest pins",
  },
  {
    input: "lowercase:Uppercase",
    normalized: "docker.io/library/lowercase:Uppercase",
    unpinned: 'tag "Uppercase"',
    why: "distribution: tags may be upper-case",
  },
  {
    input: "sub-dom1.foo.com/bar/baz/quux:some-long-tag",
    normalized: "sub-dom1.foo.com/bar/baz/quux:some-long-tag",
    unpinned: 'tag "some-long-tag"',
    why: "distribution: nested path",
  },
  {
    input: "b.gcr.io/test.example.com/my-app:test.example.com",
    normalized: "b.gcr.io/test.example.com/my-app:test.example.com",
    unpinned: "not an exact version",
    why: "distribution: dots in path and tag",
  },
  {
    input: "xn--n3h.com/myimage:xn--n3h.com",
    normalized: "xn--n3h.com/myimage:xn--n3h.com",
    unpinned: "not an exact version",
    why: "distribution: punycode registry",
  },
  {
    input: `xn--7o8h.com/myimage:xn--7o8h.com@sha512:${"f".repeat(128)}`,
    normalized: `xn--7o8h.com/myimage:xn--7o8h.com@sha512:${"f".repeat(128)}`,
    unpinned: "is not a sha256 digest",
    why: "distribution: sha512 is a valid digest; the pinning rule asks for sha256",
  },
  {
    input: "foo_bar.com:8080",
    normalized: "docker.io/library/foo_bar.com:8080",
    unpinned: 'tag "8080"',
    why: "distribution: underscore makes it a name",
  },
  {
    input: "foo/foo_bar.com:8080",
    normalized: "docker.io/foo/foo_bar.com:8080",
    unpinned: 'tag "8080"',
    why: "distribution: first component without a dot is a path",
  },
  {
    input: "192.168.1.1",
    normalized: "docker.io/library/192.168.1.1:latest",
    unpinned: "has no tag",
    why: "distribution: an IP without a slash is a name",
  },
  {
    input: "192.168.1.1:5000/repo:5050",
    normalized: "192.168.1.1:5000/repo:5050",
    unpinned: 'tag "5050"',
    why: "distribution: IP registry with a port",
  },
  {
    input: "TEST.COM/repo:1.0.0",
    normalized: "TEST.COM/repo:1.0.0",
    why: "registries may be upper-case; repositories may not",
  },
  {
    input: "localhost/repo:1.0.0",
    normalized: "localhost/repo:1.0.0",
    why: "localhost is a registry without a dot",
  },
  {
    input: "localhost:5000/acme/api:1.4.2",
    normalized: "localhost:5000/acme/api:1.4.2",
    why: "local registry with a port",
  },
  {
    input: "nginx",
    normalized: "docker.io/library/nginx:latest",
    unpinned: "has no tag",
    why: "familiar name; no tag floats",
  },
  {
    input: "nginx:1.27.3",
    normalized: "docker.io/library/nginx:1.27.3",
    why: "familiar name with an exact version",
  },
  {
    input: "docker.io/library/nginx:1.27.3",
    normalized: "docker.io/library/nginx:1.27.3",
    why: "fully qualified official image",
  },
  {
    input: "index.docker.io/nginx:1.27.3",
    normalized: "docker.io/library/nginx:1.27.3",
    why: "legacy Docker Hub host",
  },
  { input: "ghcr.io/acme/api:v1.101.0", normalized: "ghcr.io/acme/api:v1.101.0", why: "v-prefixed version" },
  {
    input: "ghcr.io/acme/api:1.4.2-rc.1",
    normalized: "ghcr.io/acme/api:1.4.2-rc.1",
    why: "pre-release version",
  },
  { input: "ghcr.io/acme/api:3f2c1ab", normalized: "ghcr.io/acme/api:3f2c1ab", why: "git commit tag" },
  {
    input: "ghcr.io/acme/my__api:1.0.0",
    normalized: "ghcr.io/acme/my__api:1.0.0",
    why: "double underscore separator",
  },
  { input: "ghcr.io/acme/my---api:1.0.0", normalized: "ghcr.io/acme/my---api:1.0.0", why: "repeated dashes" },
  {
    input: "ghcr.io/acme/api:latest",
    normalized: "ghcr.io/acme/api:latest",
    unpinned: 'tag "latest" is not pinned',
    why: "latest always floats",
  },
  {
    input: "ghcr.io/acme/api:1.4",
    normalized: "ghcr.io/acme/api:1.4",
    unpinned: 'tag "1.4" is not an exact version',
    why: "a partial version floats",
  },
];

const INVALID: Invalid[] = [
  { input: "", reason: "is empty", why: "distribution: ErrNameEmpty" },
  { input: ":justtag", reason: "empty path component", why: "distribution: no name" },
  { input: `@${SHA}`, reason: "empty path component", why: "distribution: digest without a name" },
  {
    input: "repo@sha256:ffffffffffffffffffffffffffffffffff",
    reason: "invalid checksum digest length",
    why: "distribution: ErrDigestInvalidLength",
  },
  {
    input: `validname@invaliddigest:${F64}`,
    reason: "unsupported digest algorithm",
    why: "distribution: ErrDigestUnsupported",
  },
  {
    input: "Uppercase:tag",
    reason: "upper-case letters in its repository",
    why: "distribution: ErrNameContainsUppercase",
  },
  {
    input: "test:5000/Uppercase/lowercase:tag",
    reason: "upper-case letters in its repository",
    why: "distribution: ErrNameContainsUppercase",
  },
  {
    input: `${"a/".repeat(128)}a:tag`,
    reason: "longer than 255 characters",
    why: "distribution: ErrNameTooLong",
  },
  {
    input: "aa/asdf$$^/aa",
    reason: 'invalid path component "asdf$$^"',
    why: "distribution: ErrReferenceInvalidFormat",
  },
  { input: "[2001:db8::1]", reason: "more than one", why: "distribution: a bare IPv6 address is not a name" },
  { input: F64, reason: "cannot specify 64-byte hexadecimal strings", why: "an image id is not a reference" },
  { input: "https://ghcr.io/acme/api:1.4.2", reason: "has a URL scheme", why: "a URL, not a reference" },
  {
    input: "docker://ghcr.io/acme/api:1.4.2",
    reason: "has a URL scheme",
    why: "an Actions-style docker:// prefix",
  },
  { input: "ghcr.io/acme/api:1.4.2:1.4.3", reason: 'more than one ":tag"', why: "two tags" },
  { input: "ghcr.io/acme//api:1.4.2", reason: "empty path component", why: "double slash" },
  { input: "ghcr.io/acme/api/:1.4.2", reason: "empty path component", why: "trailing slash" },
  { input: "/acme/api:1.4.2", reason: "empty path component", why: "leading slash" },
  { input: "ghcr.io/acme/api:", reason: 'tag "" of', why: "empty tag" },
  { input: "ghcr.io/acme/api:.hidden", reason: 'tag ".hidden"', why: "a tag may not start with a dot" },
  { input: "ghcr.io/acme/api:-1.4.2", reason: 'tag "-1.4.2"', why: "a tag may not start with a dash" },
  {
    input: `ghcr.io/acme/api:${"a".repeat(129)}`,
    reason: "longer than 128 characters",
    why: "over-long tag",
  },
  { input: "ghcr.io/acme/api:1.4.2+build", reason: 'tag "1.4.2+build"', why: "'+' is not a tag character" },
  { input: "ghcr.io/acme/api:1.4.2 ", reason: "contains whitespace", why: "trailing space" },
  { input: "ghcr.io/acme/api@sha256:abc", reason: "is not a sha256 digest", why: "short digest" },
  { input: `ghcr.io/acme/api@${SHA}@${SHA}`, reason: 'more than one "@digest"', why: "two digests" },
  {
    input: "ghcr.io/acme/-api:1.0.0",
    reason: 'invalid path component "-api"',
    why: "component starts with a separator",
  },
  {
    input: "ghcr.io/acme/api..v2:1.0.0",
    reason: 'invalid path component "api..v2"',
    why: "two dots in a row",
  },
  {
    input: "gh_cr.io/acme/api:1.0.0",
    reason: 'invalid registry "gh_cr.io"',
    why: "underscore in a host name",
  },
  {
    input: "ghcr.io:port/acme/api:1.0.0",
    reason: 'invalid registry "ghcr.io:port"',
    why: "non-numeric port",
  },
];

function schemaIssues(image: string): string[] {
  const raw = base();
  raw.fleet.services[0].image = image;
  const r = validateStackConfig(raw, { secretKeys: SECRETS });
  return r.ok ? [] : r.issues.filter((i) => i.path === "fleet.services[0].image").map((i) => i.message);
}

async function policyViolations(image: string): Promise<string[]> {
  return (await runResourcePolicy(pinnedImages, renderService("api", { image }))).map((v) => v.message);
}

describe("image references: one grammar for the validator, the schema and the policy pack", () => {
  it("has at least 40 cases, valid and invalid", () => {
    assert.ok(VALID.length + INVALID.length >= 40);
    assert.ok(VALID.length >= 15 && INVALID.length >= 15);
  });

  for (const c of VALID) {
    it(`accepts ${JSON.stringify(c.input.slice(0, 80))} (${c.why})`, async () => {
      const parsed = checkImageRef(c.input);
      assert.ok(parsed.ok, parsed.ok ? "" : parsed.reason);
      assert.strictEqual(normalizeImageRef(c.input), c.normalized);
      const reason = unpinnedReason(c.input);
      const schema = schemaIssues(c.input);
      const policy = await policyViolations(c.input);
      if (c.unpinned === undefined) {
        assert.strictEqual(reason, undefined);
        assert.deepStrictEqual(schema, []);
        assert.deepStrictEqual(policy, []);
      } else {
        assert.ok(reason?.includes(c.unpinned), `validator: ${reason}`);
        assert.strictEqual(schema.length, 1, JSON.stringify(schema));
        assert.ok(schema[0].includes(c.unpinned), `schema: ${schema[0]}`);
        assert.strictEqual(policy.length, 1, JSON.stringify(policy));
        assert.ok(policy[0].includes(c.unpinned), `policy: ${policy[0]}`);
      }
    });
  }

  for (const c of INVALID) {
    it(`refuses ${JSON.stringify(c.input.slice(0, 80))} (${c.why})`, async () => {
      const parsed = checkImageRef(c.input);
      assert.ok(!parsed.ok, "expected the grammar to refuse it");
      assert.ok(parsed.reason.includes(c.reason), `validator: ${parsed.reason}`);
      assert.strictEqual(unpinnedReason(c.input), parsed.reason, "an invalid reference is never pinned");
      const schema = schemaIssues(c.input);
      assert.strictEqual(schema.length, 1, `schema: ${JSON.stringify(schema)}`);
      assert.ok(schema[0].includes(c.reason), `schema: ${schema[0]}`);
      const policy = await policyViolations(c.input);
      assert.strictEqual(policy.length, 1, `policy: ${JSON.stringify(policy)}`);
      assert.ok(policy[0].includes(c.reason), `policy: ${policy[0]}`);
    });
  }

  it("normalizes without throwing whatever a platform echoes back", () => {
    assert.strictEqual(normalizeImageRef("Bad//Ref"), "docker.io/Bad//Ref:latest");
  });
});
