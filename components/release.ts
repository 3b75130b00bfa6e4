/**
 * ReleaseImages: the image each service deploys when the stack has a `release` section
 * (config/release.ts, docs/release.md), and where it came from, for the evidence ledger:
 * - `release-input`: the digest CI built, handed over as `fleetgate:releaseImages`;
 * - `promoted:<stack>`: the digest another stack released after its gates passed (a
 *   StackReference to its `releasedImages` output);
 * - `tag:<ref>`: an exact version tag resolved to its digest (kept from the first resolution
 *   while the tag stays the same: providers/release/tagDigest.ts);
 * - `stack-file`: the reference pinned in the stack file, deployed as written (a digest).
 */
import type * as dockerTypes from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { parseImageRef } from "../config/image";
import { releasedImageProblem, repositoryOf } from "../config/release";
import { StackConfig } from "../config/schema";
import { RegistryClient } from "../lib/registry";
import { TagDigest } from "../providers/release/tagDigest";
import { SecretResolver } from "./secrets";

export interface ReleaseImagesArgs {
  /** The validated stack config; `release` must be set. */
  config: StackConfig;
  /** Resolves the registry credentials of `release.registries`. */
  secrets: SecretResolver;
}

/** Service → released image, as read from a promoted stack's output. */
function promotedImage(
  images: pulumi.Output<unknown>,
  service: string,
  stack: string,
  output: string,
  declared: string,
): pulumi.Output<string> {
  return images.apply((value) => {
    const map = (value ?? {}) as Record<string, unknown>;
    const ref = map[service];
    if (typeof ref !== "string") {
      throw new Error(
        `release.promoteFrom: stack "${stack}" has released no image for "${service}" (its output ${output} lists ${
          Object.keys(map).join(", ") || "nothing"
        }); run a passing pulumi up of ${stack} that deploys it first`,
      );
    }
    const problem = releasedImageProblem(ref);
    if (problem)
      throw new Error(`release.promoteFrom: stack "${stack}" output ${output}.${service}: ${problem}`);
    if (repositoryOf(ref) !== repositoryOf(declared)) {
      throw new Error(
        `release.promoteFrom: stack "${stack}" released "${ref}" for "${service}", not a build of ${repositoryOf(declared)} (fleet.services)`,
      );
    }
    return ref;
  });
}

export class ReleaseImages extends pulumi.ComponentResource {
  /** Service → the reference the platform deploys (`repo@sha256:…` unless left as pinned). */
  public readonly images: Record<string, pulumi.Output<string>> = {};
  /** Service → where its image came from (see the module comment). */
  public readonly sources: Record<string, string> = {};

  constructor(name: string, args: ReleaseImagesArgs, opts?: pulumi.ComponentResourceOptions) {
    const cfg = args.config;
    const release = cfg.release;
    if (!release) throw new Error("ReleaseImages: the stack config has no release section");
    super("fleetgate:release:ReleaseImages", name, {}, opts);
    const child = { parent: this };

    const promote = release.promoteFrom;
    const promoted = promote
      ? new pulumi.StackReference(
          `${name}-from-${promote.stack.replace(/[^A-Za-z0-9-]/g, "-")}`,
          { name: promote.stack },
          child,
        ).getOutput(promote.output)
      : undefined;

    let client: pulumi.Output<RegistryClient> | undefined;
    const registryClient = () =>
      (client ??= pulumi
        .all(
          release.registries.map((r) =>
            args.secrets
              .resolve(r.password)
              .apply((password) => ({ host: r.host, username: r.username, password })),
          ),
        )
        .apply(
          (credentials) =>
            new RegistryClient({
              credentials,
              insecureHosts: release.insecureRegistries,
              timeoutMs: release.timeoutMs,
            }),
        ));

    for (const s of cfg.fleet.services) {
      const fromRelease = release.services.includes(s.name);
      const input = cfg.releaseImages?.[s.name];
      if (fromRelease && input) {
        this.images[s.name] = pulumi.output(input);
        this.sources[s.name] = "release-input";
        continue;
      }
      if (fromRelease && promote && promoted) {
        this.images[s.name] = promotedImage(promoted, s.name, promote.stack, promote.output, s.image);
        this.sources[s.name] = `promoted:${promote.stack}`;
        continue;
      }
      const ref = parseImageRef(s.image);
      if (ref.digest || !release.resolveTags) {
        this.images[s.name] = pulumi.output(s.image);
        this.sources[s.name] = "stack-file";
        continue;
      }
      // An exact tag: resolve now (preview shows the digest), deploy what it first resolved to.
      const observed = this.resolveTag(s.image, release.resolver, registryClient, release.insecureRegistries);
      const pin = new TagDigest(`${name}-${s.name}-digest`, { reference: s.image, observed }, child);
      pulumi.all([observed, pin.image]).apply(([now, kept]) => {
        if (now !== kept) {
          pulumi.log.warn(
            `image "${s.image}" of service "${s.name}" now points at ${now}, not at ${kept} which this stack deployed; ` +
              `the tag was re-pushed. Still deploying ${kept}; to deploy the new build, give it a new version tag or pin its digest.`,
            pin,
          );
        }
      });
      this.images[s.name] = pin.image;
      this.sources[s.name] = `tag:${s.image}`;
    }
    this.registerOutputs({ images: this.images, sources: this.sources });
  }

  /** `repo@sha256:…` the tag points at now, without blocking the program. */
  private resolveTag(
    ref: string,
    resolver: "registry" | "docker-provider",
    client: () => pulumi.Output<RegistryClient>,
    insecure: string[],
  ): pulumi.Output<string> {
    if (resolver === "docker-provider") {
      // Loaded only here: most stacks never use the Docker provider.
      const docker = require("@pulumi/docker") as typeof dockerTypes;
      const r = parseImageRef(ref);
      const image = docker.getRegistryImageOutput(
        { name: ref, insecureSkipVerify: insecure.includes(r.registry) },
        { parent: this },
      );
      return image.sha256Digest.apply((digest) => `${r.registry}/${r.repository}@${digest}`);
    }
    // The client carries secret credentials; the digest it returns is not secret.
    return pulumi.unsecret(client().apply((c) => c.resolve(ref).then((r) => r.image)));
  }
}
