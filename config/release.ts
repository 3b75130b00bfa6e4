/**
 * The `release` section and the `releaseImages` input of a stack (docs/release.md): which
 * services take their image from the release (the digests CI built, or another stack's last
 * gated `up`) and which stay pinned in the stack file, and how exact tags resolve to digests.
 *
 * `fleetgate:releaseImages` is the release input: a map service → `repo@sha256:…` that the
 * deploy job sets as stack config in the CI run (`pulumi config set`, never a commit).
 */
import { z } from "zod";
import { parseImageRef, unpinnedReason } from "./image";
import { resourceName, secretRef } from "./primitives";

/** `host[:port]` of a registry as written in image references. */
const registryHost = z
  .string()
  .regex(
    /^(localhost|[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*)(:\d{1,5})?$/,
    "must be a registry host such as ghcr.io, docker.io or 127.0.0.1:5000",
  );

/** A stack name as `pulumi.StackReference` takes it. */
const stackName = z
  .string()
  .regex(
    /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+){0,2}$/,
    "must be a stack name such as dev or acme/fleetgate/dev",
  );

export const releaseConfig = z.strictObject({
  /**
   * Services that take their image from the release: the `releaseImages` input (CI's digests)
   * or, with `promoteFrom`, the other stack's released images. The others deploy the image
   * pinned in `fleet.services[].image`.
   */
  services: z.array(resourceName).default([]),
  /** Take the release services' images from another stack's last gated `up` (its `releasedImages` output). */
  promoteFrom: z
    .strictObject({
      stack: stackName,
      /** The stack output holding service → `repo@sha256:…` (written only by a passing update). */
      output: z
        .string()
        .regex(/^[A-Za-z][A-Za-z0-9_]*$/, "must be a stack output name such as releasedImages")
        .default("releasedImages"),
    })
    .optional(),
  /** Resolve exact version tags to their digest at `up`/`preview` and deploy by digest (default true). */
  resolveTags: z.boolean().default(true),
  /**
   * How tags resolve: `registry` (default) asks the registry's HTTP API (lib/registry);
   * `docker-provider` uses `docker.getRegistryImage` of @pulumi/docker (needs the docker plugin).
   */
  resolver: z
    .enum(["registry", "docker-provider"], { error: "must be registry or docker-provider" })
    .default("registry"),
  /** Credentials for private registries (GHCR, Docker Hub, …): a read-only token as a stack secret. */
  registries: z
    .array(
      z.strictObject({
        host: registryHost,
        username: z.string().min(1, "must be the registry user name (GHCR: any non-empty name)"),
        password: secretRef,
      }),
    )
    .default([]),
  /** Registries reached over plain HTTP (a registry on loopback); every other one over HTTPS. */
  insecureRegistries: z.array(registryHost).default([]),
  /** Per registry request. */
  timeoutMs: z.number().int().positive().max(120_000, "must be at most 120000 ms").default(15_000),
});
export type ReleaseConfig = z.infer<typeof releaseConfig>;

/** The release input: service → `repo@sha256:<64 hex>` of the build to deploy. */
export const releaseImagesConfig = z.record(
  resourceName,
  z.string().min(1, "must be an image digest reference such as ghcr.io/acme/api@sha256:<64 hex>"),
);
export type ReleaseImagesConfig = z.infer<typeof releaseImagesConfig>;

/** Why `ref` cannot be a released image (it must name one build: a digest), or undefined. */
export function releasedImageProblem(ref: string): string | undefined {
  const reason = unpinnedReason(ref);
  if (reason) return reason;
  if (!parseImageRef(ref).digest)
    return `"${ref}" is not a digest reference; the release hands over repo@sha256:<64 hex>`;
  return undefined;
}

/** Registry and repository, for comparing a released image with the one a service declares. */
export function repositoryOf(ref: string): string {
  const r = parseImageRef(ref);
  return `${r.registry}/${r.repository}`;
}

interface Issue {
  path: (string | number)[];
  message: string;
}

/** Rules between `release`, `releaseImages` and the fleet's services (run by config/schema.ts). */
export function releaseIssues(cfg: {
  fleet: { services: { name: string; image: string }[] };
  release?: ReleaseConfig;
  releaseImages?: ReleaseImagesConfig;
}): Issue[] {
  const issues: Issue[] = [];
  const services = new Map(cfg.fleet.services.map((s) => [s.name, s]));
  const release = cfg.release;
  release?.services.forEach((name, i) => {
    if (!services.has(name)) {
      issues.push({
        path: ["release", "services", i],
        message: `unknown service "${name}"; declare it under fleet.services`,
      });
    }
  });
  if (release?.promoteFrom && release.services.length === 0) {
    issues.push({
      path: ["release", "services"],
      message: `release.promoteFrom takes images only for the services listed here; list the services to promote from "${release.promoteFrom.stack}"`,
    });
  }
  const images = cfg.releaseImages;
  if (!images) return issues;
  if (!release) {
    issues.push({
      path: ["releaseImages"],
      message: "the release input needs a release section; list the services it sets under release.services",
    });
    return issues;
  }
  if (release.promoteFrom) {
    issues.push({
      path: ["releaseImages"],
      message: `this stack promotes from stack "${release.promoteFrom.stack}" and takes no release input; remove fleetgate:releaseImages (pulumi config rm fleetgate:releaseImages) or release.promoteFrom`,
    });
  }
  for (const [name, ref] of Object.entries(images)) {
    const service = services.get(name);
    if (!service) {
      issues.push({
        path: ["releaseImages", name],
        message: `unknown service "${name}"; declare it under fleet.services`,
      });
      continue;
    }
    if (!release.services.includes(name)) {
      issues.push({
        path: ["releaseImages", name],
        message: `service "${name}" does not take its image from the release; add it to release.services or drop it from the input`,
      });
      continue;
    }
    const problem = releasedImageProblem(ref);
    if (problem) {
      issues.push({ path: ["releaseImages", name], message: problem });
      continue;
    }
    if (repositoryOf(ref) !== repositoryOf(service.image)) {
      issues.push({
        path: ["releaseImages", name],
        message: `"${ref}" is not from ${repositoryOf(service.image)}, the repository fleet.services declares for "${name}"; hand over a build of that repository`,
      });
    }
  }
  return issues;
}
