/**
 * Actions pinned by SHA: a tag or branch of a third-party action can be moved to new code at
 * any time; a full commit SHA cannot. Applies to every workflow file the program declares.
 */
import { ReportViolation, ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { declaredWorkflow, unpinnedActionReason } from "./lib/workflows";

export const actionsPinnedBySha: ResourceValidationPolicy = {
  name: "actions-pinned-by-sha",
  description:
    "Every `uses:` of a workflow file (steps and reusable workflows) must pin a full 40-character commit SHA. " +
    "Write owner/action@<sha> # v4.2.2 instead of owner/action@v4; local ./ actions are exempt.",
  enforcementLevel: "mandatory",
  validateResource: (args: ResourceValidationArgs, report: ReportViolation) => {
    const workflow = declaredWorkflow(args, report, "actions");
    if (!workflow) return;
    const { file, refs } = workflow;
    for (const { where, ref } of refs.actions) {
      const reason = unpinnedActionReason(ref);
      if (reason) report(`workflow ${file} ${where}: ${reason}`);
    }
  },
};
