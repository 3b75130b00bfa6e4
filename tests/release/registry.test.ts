/**
 * lib/registry against a real OCI registry on loopback (docker-registry + crane): tag → digest
 * resolution, a re-pushed tag, unknown tags, and the token flow (Bearer challenge → token from
 * the realm with the registry's credentials) that Docker Hub and GHCR use.
 */
import * as assert from "assert";
import * as fs from "fs";
import { parseChallenges, RegistryClient, RegistryError } from "../../lib/registry";
import { tempDir } from "../support/engine";
import { pushBuild, startRegistry, TestRegistry, tokenFront } from "./support";

describe("release: registry client against a real OCI registry", function () {
  this.timeout(120_000);
  let dir: string;
  let registry: TestRegistry;

  before(async () => {
    dir = tempDir("registry");
    registry = await startRegistry(dir);
  });
  after(async () => {
    await registry?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("resolves a tag to the digest of the build pushed under it", async () => {
    const ref = `${registry.host}/acme/api:1.4.2`;
    const pushed = pushBuild(dir, ref, "build one");
    const client = new RegistryClient({ insecureHosts: [registry.host] });
    const r = await client.resolve(ref);
    assert.strictEqual(r.digest, pushed);
    assert.strictEqual(r.image, `${registry.host}/acme/api@${pushed}`);
    assert.match(r.mediaType ?? "", /manifest/);
  });

  it("a re-pushed tag resolves to the new build; the old digest still names the old build", async () => {
    const ref = `${registry.host}/acme/web:2.0.0`;
    const first = pushBuild(dir, ref, "web build one");
    const second = pushBuild(dir, ref, "web build two");
    assert.notStrictEqual(first, second);
    const client = new RegistryClient({ insecureHosts: [registry.host] });
    assert.strictEqual((await client.resolve(ref)).digest, second);
    const old = await client.resolve(`${registry.host}/acme/web@${first}`);
    assert.strictEqual(old.digest, first);
  });

  it("an unknown tag fails with an error naming the image and the fix", async () => {
    const client = new RegistryClient({ insecureHosts: [registry.host] });
    await assert.rejects(client.resolve(`${registry.host}/acme/api:9.9.9`), (e: Error) => {
      assert.ok(e instanceof RegistryError);
      assert.strictEqual(e.status, 404);
      assert.match(
        e.message,
        /acme\/api:9\.9\.9" was not found in .*acme\/api; push it first or fix the tag/,
      );
      return true;
    });
  });

  it("follows the Bearer token flow with the registry's credentials, and says what to set without them", async () => {
    const ref = `${registry.host}/acme/worker:0.3.0`;
    const pushed = pushBuild(dir, ref, "worker build");
    const front = await tokenFront(registry.host, "ci-bot", "s3cret");
    try {
      const viaFront = `${front.host}/acme/worker:0.3.0`;
      const anonymous = new RegistryClient({ insecureHosts: [front.host], attempts: 1 });
      await assert.rejects(
        anonymous.resolve(viaFront),
        /token service of 127\.0\.0\.1:\d+ answered 401.*release\.registries/,
      );
      const client = new RegistryClient({
        insecureHosts: [front.host],
        credentials: [{ host: front.host, username: "ci-bot", password: "s3cret" }],
      });
      const r = await client.resolve(viaFront);
      assert.strictEqual(r.digest, pushed);
      const last = new URL(`http://x${front.tokenRequests.at(-1)}`);
      assert.strictEqual(last.searchParams.get("service"), "test-registry");
      assert.strictEqual(last.searchParams.get("scope"), "repository:acme/worker:pull");
    } finally {
      front.close();
    }
  });

  it("parses the challenges Docker Hub and GHCR send", () => {
    assert.deepStrictEqual(
      parseChallenges(
        'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull"',
      ),
      [
        {
          scheme: "bearer",
          params: {
            realm: "https://auth.docker.io/token",
            service: "registry.docker.io",
            scope: "repository:library/nginx:pull",
          },
        },
      ],
    );
    assert.deepStrictEqual(
      parseChallenges(
        'Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:acme/api:pull"',
      )[0].params.service,
      "ghcr.io",
    );
    assert.deepStrictEqual(parseChallenges('Basic realm="Registry Realm"'), [
      { scheme: "basic", params: { realm: "Registry Realm" } },
    ]);
  });
});
