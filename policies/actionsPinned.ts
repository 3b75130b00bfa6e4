/**
 * Actions pinned by SHA: a tag or branch of a third-party action can be moved to new code at
 * any time; a full commit SHA cannot. Applies to every workflow file the program declares.
 */
import { ReportViolation, ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { stringProp } from "./lib/props";
import { GITHUB_REPOSITORY_FILE } from "./lib/resourceTypes";
import { unpinnedActionReason, WORKFLOW_FILE, workflowRefs } from "./lib/workflows";

export const actionsPinnedBySha: ResourceValidationPolicy = {
  name: "actions-pinned-by-sha",
  description:
    "Every `uses:` of a workflow file (steps and reusable workflows) must pin a full 40-character commit SHA. " +
    "Write owner/action@<sha> # v4.2.2 instead of owner/action@v4; local ./ actions are exempt.",
  enforcementLevel: "mandatory",
  validateResource: (args: ResourceValidationArgs, report: ReportViolation) => {
    if (args.type !== GITHUB_REPOSITORY_FILE) return;
    const file = stringProp(args.props, "file");
    const content = stringProp(args.props, "content");
    if (!file || !WORKFLOW_FILE.test(file) || content === undefined) return;
    let refs;
    try {
      refs = workflowRefs(content);
    } catch (e) {
      report(
        `workflow ${file} is not valid YAML (${(e as Error).message.split("\n")[0]}); its actions cannot be checked`,
      );
      return;
    }
    for (const { where, ref } of refs.actions) {
      const reason = unpinnedActionReason(ref);
      if (reason) report(`workflow ${file} ${where}: ${reason}`);
    }
  },
};
