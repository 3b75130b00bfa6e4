/**
 * Image reference parsing and the pinning rule shared by the config schema, the components
 * and the policy pack: a reference is pinned when it carries a digest or an exact version tag.
 */

/** Tags that never identify one build, whatever the config says. */
export const ALWAYS_FLOATING_TAGS = ["latest"];

/**
 * Tags a stack treats as floating unless it says otherwise. `latest` always floats. Lives here
 * (not in schema.ts) so the policy pack can share it without loading the whole schema.
 */
export const DEFAULT_FLOATING_TAGS = ["latest", "stable", "main", "master", "edge", "nightly", "dev"];

export interface ImageRef {
  /** Registry host, e.g. `docker.io`, `ghcr.io`. */
  registry: string;
  /** Repository path without registry, e.g. `library/nginx`. */
  repository: string;
  tag?: string;
  digest?: string;
}

const DIGEST = /^sha256:[a-f0-9]{64}$/;
// An exact version: optional "v", then major.minor.patch with an optional pre-release/build suffix.
// Anything else ("1", "1.2", "stable") floats.
const EXACT_VERSION = /^v?\d+\.\d+\.\d+([-+][0-9A-Za-z.+-]+)?$/;
// A git commit id tag (7-40 hex), as teams tag images with `git rev-parse --short HEAD`.
const COMMIT_TAG = /^[0-9a-f]{7,40}$/;

/** Splits `[registry/]repo[:tag][@digest]`; registry defaults to docker.io like Docker does. */
export function parseImageRef(ref: string): ImageRef {
  let rest = ref.trim();
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf("/");
  const colon = rest.lastIndexOf(":");
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  const parts = rest.split("/");
  let registry = "docker.io";
  if (parts.length > 1 && (parts[0].includes(".") || parts[0].includes(":") || parts[0] === "localhost")) {
    registry = parts.shift() as string;
  }
  let repository = parts.join("/");
  if (registry === "docker.io" && !repository.includes("/")) repository = `library/${repository}`;
  return { registry, repository, tag, digest };
}

/**
 * Normalizes a reference the way Render echoes it back (`nginx` → `docker.io/library/nginx:latest`),
 * so refresh compares like with like.
 */
export function normalizeImageRef(ref: string): string {
  const r = parseImageRef(ref);
  const tag = r.tag ?? (r.digest ? undefined : "latest");
  return `${r.registry}/${r.repository}${tag ? `:${tag}` : ""}${r.digest ? `@${r.digest}` : ""}`;
}

/**
 * Returns why `ref` is not pinned, or undefined when it is. `floatingTags` are the tags a
 * stack declares as moving (e.g. `stable`, `main`); `latest` always floats.
 */
export function unpinnedReason(ref: string, floatingTags: readonly string[] = []): string | undefined {
  if (!ref || /\s/.test(ref)) return `image reference ${JSON.stringify(ref)} is empty or has whitespace`;
  const r = parseImageRef(ref);
  if (!r.repository || r.repository.endsWith("/"))
    return `image reference ${JSON.stringify(ref)} has no repository`;
  if (r.digest !== undefined) {
    if (!DIGEST.test(r.digest)) {
      return `digest "${r.digest}" is not a sha256 digest; use @sha256: followed by 64 hex characters`;
    }
    return undefined;
  }
  if (r.tag === undefined) return `image "${ref}" has no tag; use a digest or an exact version`;
  const floating = new Set([...ALWAYS_FLOATING_TAGS, ...floatingTags]);
  if (floating.has(r.tag)) return `tag "${r.tag}" is not pinned; use a digest or an exact version`;
  if (!EXACT_VERSION.test(r.tag) && !COMMIT_TAG.test(r.tag)) {
    return `tag "${r.tag}" is not an exact version (like 1.4.2 or v1.101.0); use a digest or an exact version`;
  }
  return undefined;
}
