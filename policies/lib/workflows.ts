/**
 * What a GitHub Actions workflow file references: the actions and reusable workflows it `uses`
 * and the container images it runs (job containers, service containers, `docker://` steps).
 * Parsed with the `yaml` library, never with regular expressions over the text.
 */
import type { ReportViolation, ResourceValidationArgs } from "@pulumi/policy";
import { parse } from "yaml";
import { stringProp } from "./props";
import { GITHUB_REPOSITORY_FILE } from "./resourceTypes";

/** Workflow files live here; other repository files are not workflows. */
export const WORKFLOW_FILE = /^\.github\/workflows\/[^/]+\.ya?ml$/;

export interface WorkflowRef {
  /** Where in the file, e.g. `jobs.build.steps[2].uses`. */
  where: string;
  /** The reference as written. */
  ref: string;
}

export interface WorkflowRefs {
  /** `owner/repo[/path]@ref` of steps and reusable-workflow jobs (local `./` ones excluded). */
  actions: WorkflowRef[];
  /** Image references (without the `docker://` prefix). */
  images: WorkflowRef[];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** Parses a workflow's YAML; throws with the parser's message when it is not valid YAML. */
export function workflowRefs(content: string): WorkflowRefs {
  const doc: unknown = parse(content);
  const out: WorkflowRefs = { actions: [], images: [] };
  const jobs = isObj(doc) && isObj(doc.jobs) ? doc.jobs : {};
  for (const [jobId, job] of Object.entries(jobs)) {
    if (!isObj(job)) continue;
    const at = `jobs.${jobId}`;
    addUses(out, `${at}.uses`, job.uses);
    if (typeof job.container === "string") out.images.push({ where: `${at}.container`, ref: job.container });
    else if (isObj(job.container) && typeof job.container.image === "string") {
      out.images.push({ where: `${at}.container.image`, ref: job.container.image });
    }
    if (isObj(job.services)) {
      for (const [svc, def] of Object.entries(job.services)) {
        if (isObj(def) && typeof def.image === "string") {
          out.images.push({ where: `${at}.services.${svc}.image`, ref: def.image });
        }
      }
    }
    if (Array.isArray(job.steps)) {
      job.steps.forEach((step, i) => {
        if (isObj(step)) addUses(out, `${at}.steps[${i}]${stepLabel(step)}.uses`, step.uses);
      });
    }
  }
  return out;
}

function stepLabel(step: Obj): string {
  return typeof step.name === "string" ? ` ("${step.name}")` : "";
}

function addUses(out: WorkflowRefs, where: string, uses: unknown) {
  if (typeof uses !== "string") return;
  if (uses.startsWith("docker://")) out.images.push({ where, ref: uses.slice("docker://".length) });
  else if (!uses.startsWith("./")) out.actions.push({ where, ref: uses });
}

const FULL_SHA = /^[0-9a-f]{40}$/;

/** Why an action reference is not pinned to a full commit SHA, or undefined when it is. */
export function unpinnedActionReason(ref: string): string | undefined {
  const at = ref.lastIndexOf("@");
  if (at < 0) return `"${ref}" has no @ref; pin it to a full 40-character commit SHA`;
  const version = ref.slice(at + 1);
  if (FULL_SHA.test(version)) return undefined;
  return `"${ref}" is pinned to "${version}", which can move; use ${ref.slice(0, at)}@<40-character commit SHA> with the version as a comment (# ${version})`;
}

/**
 * The references of the workflow file a resource declares (a RepositoryFile under
 * .github/workflows/), or undefined when it declares none. A file that is not valid YAML is
 * reported as a violation, since nothing in it can be checked.
 */
export function declaredWorkflow(
  args: ResourceValidationArgs,
  report: ReportViolation,
  checking: string,
): { file: string; refs: WorkflowRefs } | undefined {
  if (args.type !== GITHUB_REPOSITORY_FILE) return undefined;
  const file = stringProp(args.props, "file");
  const content = stringProp(args.props, "content");
  if (!file || !WORKFLOW_FILE.test(file) || content === undefined) return undefined;
  try {
    return { file, refs: workflowRefs(content) };
  } catch (e) {
    report(
      `workflow ${file} is not valid YAML (${(e as Error).message.split("\n")[0]}); its ${checking} cannot be checked`,
    );
    return undefined;
  }
}
