/**
 * pinned-images' `requireDigests` option (set on prod): a service deployed by tag is refused,
 * one deployed by digest (released, promoted or resolved) passes; without the option an exact
 * tag still passes.
 */
import { pinnedImages } from "../../policies/pinnedImages";
import { localService, renderService } from "../policies/fixtures";
import { assertNoViolations, assertOneViolation, runResourcePolicy } from "../policies/util";

const DIGEST_REF = `ghcr.io/acme/api@sha256:${"c".repeat(64)}`;

describe("release: pinned-images requireDigests", () => {
  it("refuses a service deployed by an exact tag when digests are required", async () => {
    assertOneViolation(
      await runResourcePolicy(pinnedImages, renderService("api", { image: "ghcr.io/acme/api:1.4.2" }), {
        requireDigests: true,
      }),
      /service "api" image "ghcr\.io\/acme\/api:1\.4\.2" is not deployed by digest, which this stack requires \(requireDigests\)/,
    );
  });

  it("accepts a digest when digests are required, and an exact tag when they are not", async () => {
    assertNoViolations(
      await runResourcePolicy(pinnedImages, localService("api", { image: DIGEST_REF }), {
        requireDigests: true,
      }),
    );
    assertNoViolations(
      await runResourcePolicy(pinnedImages, renderService("api", { image: "ghcr.io/acme/api:1.4.2" })),
    );
  });
});
