/**
 * Turns a validated workflow model into YAML with the `yaml` library: keys in the order GitHub
 * documents them, `uses:` as `<repo>@<sha> # <version>`, multi-line scripts as block scalars.
 */
import { Document, Scalar, visit } from "yaml";
import {
  isCallJob,
  isUsesStep,
  Job,
  PermissionScope,
  Permissions,
  Step,
  validateWorkflow,
  Workflow,
} from "./model";

/** Drops undefined values and empty objects/lists so the YAML carries only what is set. */
function compact(obj: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (v === undefined) continue;
    if (Array.isArray(v) && v.length === 0) continue;
    if (
      v &&
      typeof v === "object" &&
      !Array.isArray(v) &&
      !(v instanceof Scalar) &&
      Object.keys(v).length === 0
    )
      continue;
    out[k] = v;
  }
  return out;
}

/** Why a job may write to a scope, written beside the grant (auditors look for it). */
const WRITE_REASONS: Partial<Record<PermissionScope, string>> = {
  packages: "push the built image to the registry",
  "pull-requests": "comment the preview on the pull request",
  issues: "open or update the health-monitor issue",
  "id-token": "exchange GitHub's OIDC token for a short-lived Pulumi token",
};

function permissionsNode(p: Permissions): Record<string, string | Scalar> {
  const out: Record<string, string | Scalar> = {};
  for (const [scope, level] of Object.entries(p) as [PermissionScope, "read" | "write"][]) {
    if (level !== "write") {
      out[scope] = level;
      continue;
    }
    const node = new Scalar(level);
    node.comment = ` ${WRITE_REASONS[scope] ?? "granted by ci.jobs[].permissions"}`;
    out[scope] = node;
  }
  return out;
}

function stepNode(step: Step): Record<string, unknown> {
  if (isUsesStep(step)) {
    const uses = new Scalar(`${step.uses.repo}@${step.uses.sha}`);
    uses.comment = ` ${step.uses.version}`;
    return compact({ name: step.name, id: step.id, if: step.if, uses, with: step.with, env: step.env });
  }
  return compact({ name: step.name, id: step.id, if: step.if, env: step.env, run: step.run });
}

/**
 * A call of a reusable workflow of this repository. zizmor prefers the `$/` form, which
 * actionlint v1.7.12 (and older runners) reject; the `./` form is the documented one.
 */
function localCall(uses: string): Scalar {
  const node = new Scalar(uses);
  node.comment = " zizmor: ignore[self-repository] ($/ is not accepted by actionlint 1.7.12)";
  return node;
}

function jobNode(job: Job): Record<string, unknown> {
  const head = { name: job.name, needs: job.needs, if: job.if };
  if (isCallJob(job)) {
    // Permissions of a calling job cap the called workflow's; `{}` must stay explicit.
    return {
      ...compact(head),
      permissions: permissionsNode(job.permissions),
      ...compact({ uses: localCall(job.uses), with: job.with, secrets: job.secrets }),
    };
  }
  return {
    ...compact({ ...head, "runs-on": job.runsOn }),
    permissions: permissionsNode(job.permissions),
    ...compact({
      environment: job.environment,
      concurrency: job.concurrency && {
        group: job.concurrency.group,
        "cancel-in-progress": job.concurrency.cancelInProgress,
      },
      "timeout-minutes": job.timeoutMinutes,
      strategy: job.strategy && { "fail-fast": job.strategy.failFast, matrix: job.strategy.matrix },
      outputs: job.outputs,
      defaults: job.workingDirectory && { run: { "working-directory": job.workingDirectory } },
      env: job.env,
      steps: job.steps.map(stepNode),
    }),
  };
}

/** Strings a YAML 1.1 reader would take for booleans (`on`, `yes`, ...). */
const YAML11_BOOLEAN = /^(y|yes|n|no|true|false|on|off)$/i;

/** Quotes values such as a feature flag `on`, so every YAML reader sees a string. Keys stay plain (`on:`). */
function quoteAmbiguousStrings(doc: Document): void {
  visit(doc, {
    Pair(_key, pair) {
      const value = pair.value;
      if (value instanceof Scalar && typeof value.value === "string" && YAML11_BOOLEAN.test(value.value)) {
        value.type = Scalar.QUOTE_DOUBLE;
      }
    },
    Seq(_key, seq) {
      for (const item of seq.items) {
        if (item instanceof Scalar && typeof item.value === "string" && YAML11_BOOLEAN.test(item.value)) {
          item.type = Scalar.QUOTE_DOUBLE;
        }
      }
    },
  });
}

/** The YAML text of one workflow; validates it first. */
export function emitWorkflow(wf: Workflow, header: string): string {
  validateWorkflow(wf);
  // aliasDuplicateObjects: shared objects (a pinned action, a permission set) are written out
  // in full each time; anchors and aliases make workflows harder to read and audit.
  const doc = new Document(
    {
      name: wf.name,
      on: wf.on,
      permissions: wf.permissions,
      ...compact({
        concurrency: wf.concurrency && {
          group: wf.concurrency.group,
          "cancel-in-progress": wf.concurrency.cancelInProgress,
        },
        env: wf.env,
      }),
      jobs: Object.fromEntries(Object.entries(wf.jobs).map(([id, job]) => [id, jobNode(job)])),
    },
    { aliasDuplicateObjects: false },
  );
  quoteAmbiguousStrings(doc);
  doc.commentBefore = header
    .split("\n")
    .map((l) => ` ${l}`)
    .join("\n");
  return doc.toString({ lineWidth: 0 });
}
