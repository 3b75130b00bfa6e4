/**
 * Prod protection: deploying to prod waits for a person's approval. The GitHub deployment
 * environment of prod must list required reviewers (users or teams).
 */
import { ReportViolation, ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { configWithDefaults, stringList } from "./lib/config";
import { peek, stringProp, UNKNOWN } from "./lib/props";
import { GITHUB_ENVIRONMENT } from "./lib/resourceTypes";

export interface ProdReviewersConfig {
  /** GitHub environment names that need required reviewers. */
  environments: string[];
}

const DEFAULTS: ProdReviewersConfig = { environments: ["prod", "production"] };

export const prodReviewers: ResourceValidationPolicy = {
  name: "prod-reviewers",
  description:
    "The prod GitHub environment must require reviewers. List users or teams as reviewers of the prod environment in the ci section of the stack config.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      environments: stringList(
        "GitHub environment names that need required reviewers.",
        DEFAULTS.environments,
      ),
    },
  },
  validateResource: (args: ResourceValidationArgs, report: ReportViolation) => {
    if (args.type !== GITHUB_ENVIRONMENT) return;
    const cfg = configWithDefaults<ProdReviewersConfig>(args.getConfig, DEFAULTS);
    const environment = stringProp(args.props, "environment");
    if (!environment || !cfg.environments.includes(environment)) return;
    if (reviewerCount(args.props) === 0) {
      report(
        `GitHub environment "${environment}" has no required reviewers; list users or teams as reviewers of ${environment} in the ci section of the stack config`,
      );
    }
  },
};

/**
 * Users plus teams across the `reviewers` blocks. Ids looked up at deploy time are unknown
 * during preview; an unknown list is given the benefit of the doubt (counted as one).
 */
function reviewerCount(props: Record<string, unknown>): number {
  const blocks = peek(() => props.reviewers);
  if (blocks === UNKNOWN) return 1;
  if (!Array.isArray(blocks)) return 0;
  let n = 0;
  for (let i = 0; i < blocks.length; i++) {
    const block = peek(() => blocks[i]);
    if (block === UNKNOWN) n += 1;
    if (!block || typeof block !== "object") continue;
    for (const field of ["users", "teams"]) {
      const ids = peek(() => (block as Record<string, unknown>)[field]);
      if (ids === UNKNOWN) n += 1;
      else if (Array.isArray(ids)) n += ids.length;
    }
  }
  return n;
}
