/**
 * A typed model of a GitHub Actions workflow: what the emitters build and `validateWorkflow`
 * checks before anything is written (unknown or cyclic `needs`, unpinned actions, event
 * expressions in scripts, jobs without explicit permissions).
 */
import { findCycle } from "../../config/ci";
import { PinnedAction } from "./actions";

export type PermissionScope =
  | "actions"
  | "checks"
  | "contents"
  | "deployments"
  | "id-token"
  | "issues"
  | "packages"
  | "pull-requests"
  | "statuses";
/** Token permissions; scopes not listed are `none`. `{}` means no permissions at all. */
export type Permissions = Partial<Record<PermissionScope, "read" | "write">>;

type Scalar = string | number | boolean;

interface StepBase {
  name: string;
  id?: string;
  if?: string;
  env?: Record<string, string>;
}
export interface RunStep extends StepBase {
  /** Shell script; never contains `${{ }}` (values come in through env). */
  run: string;
}
export interface UsesStep extends StepBase {
  uses: PinnedAction;
  with?: Record<string, Scalar>;
}
export type Step = RunStep | UsesStep;

interface JobBase {
  /** Display name; the status check context for required checks. */
  name: string;
  needs?: string[];
  if?: string;
  permissions: Permissions;
}
export interface StepsJob extends JobBase {
  runsOn: string;
  environment?: string;
  concurrency?: { group: string; cancelInProgress: boolean };
  timeoutMinutes: number;
  strategy?: { failFast: boolean; matrix: Record<string, unknown> };
  /** Directory every `run:` step runs in (the fleetgate project inside the repository). */
  workingDirectory?: string;
  env?: Record<string, string>;
  /** Values later jobs read as `needs.<job>.outputs.<name>` (e.g. a pushed image's digest). */
  outputs?: Record<string, string>;
  steps: Step[];
}
/** A job that calls a reusable workflow of the same repository. */
export interface CallJob extends JobBase {
  uses: string;
  with?: Record<string, Scalar>;
  secrets?: Record<string, string>;
}
export type Job = StepsJob | CallJob;

export interface WorkflowInput {
  description: string;
  required: boolean;
  type: "string" | "choice" | "boolean";
  options?: string[];
}

export interface Workflow {
  /** File name under .github/workflows. */
  file: string;
  name: string;
  /** Trigger block, emitted as is. */
  on: Record<string, unknown>;
  /** Workflow-level permissions; `{}` so every job states its own. */
  permissions: Permissions;
  concurrency?: { group: string; cancelInProgress: boolean | string };
  env?: Record<string, string>;
  jobs: Record<string, Job>;
}

export function isCallJob(job: Job): job is CallJob {
  return "uses" in job;
}
export function isUsesStep(step: Step): step is UsesStep {
  return "uses" in step;
}

export class PipelineError extends Error {
  constructor(
    readonly workflow: string,
    readonly problems: string[],
  ) {
    super(`invalid workflow ${workflow}:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "PipelineError";
  }
}

const FULL_SHA = /^[0-9a-f]{40}$/;
const JOB_ID = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** Every problem of one workflow; empty when it may be written. */
export function workflowProblems(wf: Workflow): string[] {
  const problems: string[] = [];
  const ids = Object.keys(wf.jobs);
  if (ids.length === 0) problems.push("has no jobs");
  for (const [id, job] of Object.entries(wf.jobs)) {
    if (!JOB_ID.test(id)) problems.push(`job id "${id}" must be letters, digits, '-' or '_'`);
    for (const need of job.needs ?? []) {
      if (!ids.includes(need)) {
        problems.push(`job "${id}" needs unknown job "${need}"; known jobs: ${ids.join(", ")}`);
      }
    }
    if (!job.permissions) problems.push(`job "${id}" has no permissions; state the minimal token scopes`);
    if (isCallJob(job)) {
      if (!job.uses.startsWith("./.github/workflows/")) {
        problems.push(
          `job "${id}" calls "${job.uses}"; only reusable workflows of this repository are allowed`,
        );
      }
      continue;
    }
    job.steps.forEach((step, i) => {
      const where = `job "${id}" step ${i + 1} ("${step.name}")`;
      if (isUsesStep(step)) {
        if (!FULL_SHA.test(step.uses.sha)) {
          problems.push(
            `${where} uses ${step.uses.repo}@${step.uses.sha}, which is not a full commit SHA; pin it to the 40-hex commit of ${step.uses.version}`,
          );
        }
      } else if (step.run.includes("${{")) {
        problems.push(`${where} has a \${{ }} expression in its script; pass the value through env:`);
      }
    });
  }
  const cycle = findCycle(new Map(Object.entries(wf.jobs).map(([id, job]) => [id, job.needs ?? []])));
  if (cycle) problems.push(`jobs depend on each other in a cycle: ${cycle.join(" -> ")}`);
  return problems;
}

/** Throws a PipelineError naming the workflow and every problem. */
export function validateWorkflow(wf: Workflow): Workflow {
  const problems = workflowProblems(wf);
  if (problems.length) throw new PipelineError(wf.file, problems);
  return wf;
}
