/**
 * Test helpers in the style of pulumi-policy-aws' test utils: build the `ResourceValidationArgs`
 * / `StackValidationArgs` the policy SDK hands a policy, run the policy and collect every
 * `reportViolation` call. Unknown (preview-time) values can be simulated with `unknown()`.
 */
import {
  PolicyResource,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
  unknownCheckingProxy,
} from "@pulumi/policy";
import * as assert from "assert";
import { fleetgatePolicies } from "../../policies/pack";

export interface Violation {
  message: string;
  urn?: string;
}

/** A resource as the engine shows it to a policy: type, inputs (or outputs) and a name. */
export interface FakeResource {
  type: string;
  props: Record<string, unknown>;
  name?: string;
}

/** The SDK's sentinels for values not known during preview (what it puts in props then). */
const sentinels = require("@pulumi/policy/proxy") as Record<string, string>;
export const UNKNOWN_OBJECT = sentinels.unknownObjectValue;
export const UNKNOWN_ARRAY = sentinels.unknownArrayValue;
export const UNKNOWN_STRING = sentinels.unknownStringValue;

export function urnOf(r: FakeResource): string {
  return `urn:pulumi:test::fleetgate::${r.type}::${r.name ?? "res"}`;
}

const notApplicable = (reason?: string): never => {
  throw new NotApplicable(reason);
};

class NotApplicable extends Error {}

const noOpts = {
  protect: false,
  ignoreChanges: [],
  aliases: [],
  customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
  additionalSecretOutputs: [],
};

/** ResourceValidationArgs for one resource, with an optional policy config. */
export function resourceArgs(r: FakeResource, config: object = {}): ResourceValidationArgs {
  return {
    type: r.type,
    props: unknownCheckingProxy(r.props),
    urn: urnOf(r),
    name: r.name ?? "res",
    opts: noOpts,
    stackTags: new Map(),
    isType: () => false,
    asType: () => undefined,
    getConfig: <T extends object>() => config as T,
    notApplicable,
  };
}

/** StackValidationArgs over several resources, with an optional policy config. */
export function stackArgs(resources: FakeResource[], config: object = {}): StackValidationArgs {
  const policyResources: PolicyResource[] = resources.map((r) => ({
    type: r.type,
    props: unknownCheckingProxy(r.props),
    urn: urnOf(r),
    name: r.name ?? "res",
    opts: noOpts,
    dependencies: [],
    propertyDependencies: {},
    isType: () => false,
    asType: () => undefined,
  }));
  return {
    resources: policyResources,
    stackTags: new Map(),
    getConfig: <T extends object>() => config as T,
    notApplicable,
  };
}

/** Runs a resource policy over one resource and returns its violations. */
export async function runResourcePolicy(
  policy: ResourceValidationPolicy,
  r: FakeResource,
  config: object = {},
): Promise<Violation[]> {
  const found: Violation[] = [];
  const validations = [policy.validateResource ?? []].flat();
  assert.ok(validations.length > 0, `policy ${policy.name} has no validateResource`);
  for (const validate of validations) {
    try {
      await validate(resourceArgs(r, config), (message, urn) => found.push({ message, urn }));
    } catch (e) {
      if (!(e instanceof NotApplicable)) throw e;
    }
  }
  return found;
}

/** Runs a stack policy over a set of resources and returns its violations. */
export async function runStackPolicy(
  policy: StackValidationPolicy,
  resources: FakeResource[],
  config: object = {},
): Promise<Violation[]> {
  const found: Violation[] = [];
  try {
    await policy.validateStack(stackArgs(resources, config), (message, urn) => found.push({ message, urn }));
  } catch (e) {
    if (!(e instanceof NotApplicable)) throw e;
  }
  return found;
}

/** Asserts exactly one violation whose message matches `pattern`; returns it. */
export function assertOneViolation(found: Violation[], pattern: RegExp): Violation {
  assert.strictEqual(found.length, 1, `expected one violation, got: ${JSON.stringify(found, null, 2)}`);
  assert.match(found[0].message, pattern);
  return found[0];
}

export function assertNoViolations(found: Violation[]) {
  assert.deepStrictEqual(found, [], `expected no violations, got: ${JSON.stringify(found, null, 2)}`);
}

/** What every policy of the pack reports, by enforcement level. */
export async function evaluatePack(
  resources: FakeResource[],
): Promise<{ mandatory: string[]; advisory: string[] }> {
  const out = { mandatory: [] as string[], advisory: [] as string[] };
  const add = (level: string | undefined, policy: string, found: Violation[]) =>
    found.forEach((v) =>
      (level === "advisory" ? out.advisory : out.mandatory).push(`[${policy}] ${v.message}`),
    );
  for (const policy of fleetgatePolicies) {
    if ("validateStack" in policy) {
      add(
        policy.enforcementLevel,
        policy.name,
        await runStackPolicy(policy as StackValidationPolicy, resources),
      );
    } else {
      for (const r of resources) {
        add(
          policy.enforcementLevel,
          policy.name,
          await runResourcePolicy(policy as ResourceValidationPolicy, r),
        );
      }
    }
  }
  return out;
}
