/**
 * Image references: parsing, normalization and the pinning rule, shared by the config schema,
 * the components and the policy pack.
 *
 * A reference is parsed with the distribution reference grammar (`@swimlane/docker-reference`,
 * a port of github.com/distribution/reference), so a string that is not a reference is refused
 * with the reason before the pinning rule looks at its tag: a reference is pinned when it
 * carries a digest or an exact version tag.
 */
import { parseFamiliarName } from "@swimlane/docker-reference";
import { z } from "zod";

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

const EXAMPLE = "ghcr.io/org/api:1.4.2";
const NAME_MAX = 255;
const TAG = /^[\w][\w.-]{0,127}$/;
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN =
  /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*(?::[0-9]+)?$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;
// An exact version: optional "v", then major.minor.patch with an optional pre-release/build suffix.
// Anything else ("1", "1.2", "stable") floats.
const EXACT_VERSION = /^v?\d+\.\d+\.\d+([-+][0-9A-Za-z.+-]+)?$/;
// A git commit id tag (7-40 hex), as teams tag images with `git rev-parse --short HEAD`.
const COMMIT_TAG = /^[0-9a-f]{7,40}$/;

/** Splits a reference the way the grammar does, without judging it: for the reasons below. */
function split(ref: string): { domain?: string; path: string; tags: string[]; digest?: string } {
  const at = ref.indexOf("@");
  const name = at >= 0 ? ref.slice(0, at) : ref;
  const digest = at >= 0 ? ref.slice(at + 1) : undefined;
  const slash = name.indexOf("/");
  const first = slash >= 0 ? name.slice(0, slash) : "";
  const hasDomain = slash >= 0 && (first.includes(".") || first.includes(":") || first === "localhost");
  const rest = hasDomain ? name.slice(slash + 1) : name;
  const lastSlash = rest.lastIndexOf("/");
  const [last, ...tags] = rest.slice(lastSlash + 1).split(":");
  return { domain: hasDomain ? first : undefined, path: rest.slice(0, lastSlash + 1) + last, tags, digest };
}

/** Why `ref` is not a well-formed image reference, in words a user can act on. */
function malformedReason(ref: string): string | undefined {
  const q = JSON.stringify(ref);
  if (ref === "") return `is empty; write an image reference such as ${EXAMPLE}`;
  if (/\s/.test(ref)) return `image reference ${q} contains whitespace; remove it`;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(ref)) {
    return `image reference ${q} has a URL scheme; write it without one, e.g. ${EXAMPLE}`;
  }
  if (ref.split("@").length > 2) return `image reference ${q} has more than one "@digest"; keep one`;
  const { domain, path, tags, digest } = split(ref);
  if (domain !== undefined && !DOMAIN.test(domain)) {
    return `image reference ${q} has an invalid registry "${domain}"; use a host name with an optional :port`;
  }
  if (tags.length > 1) return `image reference ${q} has more than one ":tag"; keep one`;
  const components = path.split("/");
  if (components.some((c) => c === "")) {
    return `image reference ${q} has an empty path component ("//", or a leading or trailing "/"); remove the extra "/"`;
  }
  if (path !== path.toLowerCase()) {
    return `image reference ${q} has upper-case letters in its repository; repositories are lower-case (${path.toLowerCase()})`;
  }
  const bad = components.find((c) => !PATH_COMPONENT.test(c));
  if (bad !== undefined) {
    return `image reference ${q} has an invalid path component "${bad}"; use lower-case letters and digits separated by ".", "_", "__" or "-"`;
  }
  if ((domain ? domain.length + 1 : 0) + path.length > NAME_MAX) {
    return `image reference ${q} has a name longer than ${NAME_MAX} characters; shorten the repository path`;
  }
  const tag = tags[0];
  if (tag !== undefined) {
    if (tag.length > 128) return `tag of ${q} is longer than 128 characters; use a shorter tag`;
    if (!TAG.test(tag)) {
      return `tag "${tag}" of ${q} is invalid; a tag is letters, digits, "_", "." and "-" and does not start with "." or "-"`;
    }
  }
  if (digest !== undefined && !/^[a-z0-9]+(?:[-_+.][a-z0-9]+)*:[a-f0-9]{32,}$/i.test(digest)) {
    return `digest "${digest}" is not a sha256 digest; use @sha256: followed by 64 hex characters`;
  }
  return undefined;
}

export type ImageRefResult = { ok: true; ref: ImageRef } | { ok: false; reason: string };

/**
 * Parses a reference with the distribution grammar; a familiar name gets Docker's defaults
 * (`nginx` → registry docker.io, repository library/nginx).
 */
export function checkImageRef(ref: string): ImageRefResult {
  const reason = malformedReason(ref);
  if (reason) return { ok: false, reason };
  try {
    const parsed = parseFamiliarName(ref);
    return {
      ok: true,
      ref: {
        registry: parsed.domain ?? "docker.io",
        repository: parsed.repository ?? "",
        tag: parsed.tag,
        digest: parsed.digest,
      },
    };
  } catch (e) {
    // The grammar refused what the checks above let through: give its own reason.
    return {
      ok: false,
      reason: `image reference ${JSON.stringify(ref)} is invalid (${(e as Error).message}); write e.g. ${EXAMPLE}`,
    };
  }
}

/** Why `ref` is not a well-formed reference, or undefined when it is. */
export function imageRefProblem(ref: string): string | undefined {
  const r = checkImageRef(ref);
  return r.ok ? undefined : r.reason;
}

/**
 * Splits `[registry/]repo[:tag][@digest]`; registry defaults to docker.io like Docker does.
 * For a malformed reference (already refused by the schema) it falls back to a plain split,
 * so comparing what a platform echoes back never throws.
 */
export function parseImageRef(ref: string): ImageRef {
  const checked = checkImageRef(ref.trim());
  if (checked.ok) return checked.ref;
  const { domain, path, tags, digest } = split(ref.trim());
  const registry = domain ?? "docker.io";
  const repository = registry === "docker.io" && !path.includes("/") ? `library/${path}` : path;
  return { registry, repository, tag: tags[0], digest };
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
 * Returns why `ref` is not pinned (or not a reference at all), or undefined when it is pinned.
 * `floatingTags` are the tags a stack declares as moving (e.g. `stable`, `main`); `latest`
 * always floats.
 */
export function unpinnedReason(ref: string, floatingTags: readonly string[] = []): string | undefined {
  const checked = checkImageRef(ref);
  if (!checked.ok) return checked.reason;
  const r = checked.ref;
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

/** A well-formed image reference (the pinning rule runs with the stack's floating tags later). */
export const imageReference = z.string().superRefine((value, ctx) => {
  const reason = imageRefProblem(value);
  if (reason) ctx.addIssue({ code: "custom", message: reason, input: value });
});
