/**
 * Pinned images: every image reference the stack deploys is a well-formed reference (parsed with
 * the distribution reference grammar) and carries a digest or an exact version. The rule is the
 * config's own (`unpinnedReason` in config/image.ts), so the schema, the component that refuses
 * an image at construction and this policy never disagree.
 */
import { ReportViolation, ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { DEFAULT_FLOATING_TAGS, unpinnedReason } from "../config/image";
import { configWithDefaults, stringList } from "./lib/config";
import { stringProp } from "./lib/props";
import { DOCKER_IMAGE_INPUTS, SERVICE_TYPES } from "./lib/resourceTypes";
import { declaredWorkflow } from "./lib/workflows";

export interface PinnedImagesConfig {
  /** Tags treated as floating besides `latest` (which always floats). */
  floatingTags: string[];
  /**
   * Services must deploy by digest (`repo@sha256:…`), not by tag: set it in the policy config
   * of prod, whose images come from a release input or a promotion (docs/release.md).
   */
  requireDigests: boolean;
}

const DEFAULTS: PinnedImagesConfig = { floatingTags: DEFAULT_FLOATING_TAGS, requireDigests: false };

const FIX =
  "Use a digest (repo@sha256:<64 hex>) or an exact version tag (repo:1.4.2), never latest or no tag.";

export const pinnedImages: ResourceValidationPolicy = {
  name: "pinned-images",
  description:
    "Every image reference (Render and local services, Docker resources, job containers, service containers and docker:// steps of workflow files) must be a well-formed reference and carry a digest or an exact version. " +
    FIX,
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      floatingTags: stringList("Tags that never pin an image, besides latest.", DEFAULT_FLOATING_TAGS),
      requireDigests: {
        type: "boolean",
        default: false,
        description: "Services must deploy by digest (repo@sha256:<64 hex>), not by tag (set on prod).",
      },
    },
  },
  validateResource: (args: ResourceValidationArgs, report: ReportViolation) => {
    const { floatingTags, requireDigests } = configWithDefaults<PinnedImagesConfig>(args.getConfig, DEFAULTS);
    const check = (what: string, ref: string) => {
      const reason = unpinnedReason(ref, floatingTags);
      if (reason) report(`${what}: ${reason} (e.g. repo@sha256:<64 hex> or repo:1.4.2)`);
    };

    if (SERVICE_TYPES.includes(args.type)) {
      const name = stringProp(args.props, "name") ?? args.name;
      // Read directly: an image unknown during preview makes the SDK report "can't run" (advisory).
      const image: unknown = args.props.image;
      if (typeof image !== "string") report(`service "${name}" records no image reference. ${FIX}`);
      else {
        check(`service "${name}" image "${image}"`, image);
        if (requireDigests && !/@sha256:[a-f0-9]{64}$/.test(image)) {
          report(
            `service "${name}" image "${image}" is not deployed by digest, which this stack requires (requireDigests); ` +
              "take it from the release input or a promotion, set release.resolveTags, or pin repo@sha256:<64 hex>",
          );
        }
      }
      return;
    }
    const dockerInput = DOCKER_IMAGE_INPUTS[args.type];
    if (dockerInput) {
      const image = stringProp(args.props, dockerInput);
      if (image !== undefined) check(`${args.type} "${args.name}" ${dockerInput} "${image}"`, image);
      return;
    }
    const workflow = declaredWorkflow(args, report, "images");
    if (workflow) {
      const { file, refs } = workflow;
      for (const { where, ref } of refs.images) {
        if (ref.includes("${{")) {
          report(
            `workflow ${file} ${where} image "${ref}" is an expression, so its pinning cannot be checked; write the pinned reference literally`,
          );
        } else check(`workflow ${file} ${where} image "${ref}"`, ref);
      }
    }
  },
};
