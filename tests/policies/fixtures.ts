/** Small resource builders for the policy tests, shaped after the cross-team conventions. */
import { FakeResource } from "./util";

export const PINNED = "ghcr.io/fleetgate-example/api:1.8.3";
export const DIGEST = `ghcr.io/fleetgate-example/api@sha256:${"a".repeat(64)}`;
export const SHA = "11bd71901bbe5b1630ceea73d27597364c9af683";

export function renderService(
  name: string,
  over: Partial<{ serviceType: string; image: string; public: boolean; healthCheckPath: string }> = {},
): FakeResource {
  const serviceType = over.serviceType ?? "web";
  return {
    type: "fleetgate:render:Service",
    name,
    props: {
      name,
      serviceType,
      image: PINNED,
      public: serviceType === "web",
      ...(serviceType === "web" ? { healthCheckPath: "/health" } : {}),
      ...over,
    },
  };
}

export function localService(name: string, over: Record<string, unknown> = {}): FakeResource {
  return { ...renderService(name, over), type: "pulumi-nodejs:dynamic/local:Service" };
}

export function envSet(
  setName: string,
  vars: { plain?: string[]; secret?: string[] },
  over: Record<string, unknown> = {},
): FakeResource {
  const plainKeys = vars.plain ?? [];
  const keys = [...plainKeys, ...(vars.secret ?? [])];
  return {
    type: "pulumi-nodejs:dynamic/render:EnvVarSet",
    name: setName,
    props: { setName, services: ["api"], environment: "dev", keys, plainKeys, values: "[secret]", ...over },
  };
}

/** The per-service env map of the Render plugin (`fleetgate:render:EnvVars`). */
export function envVars(
  serviceName: string,
  vars: { plain?: string[]; secret?: string[] },
  over: Record<string, unknown> = {},
): FakeResource {
  const plainKeys = vars.plain ?? [];
  const keys = [...plainKeys, ...(vars.secret ?? [])];
  return {
    type: "fleetgate:render:EnvVars",
    name: `render-${serviceName}-env`,
    props: {
      serviceName,
      environment: "dev",
      sources: Object.fromEntries(keys.map((k) => [k, "set:backend"])),
      plainKeys,
      foreignKeys: [],
      ...over,
    },
  };
}

export function smokeSuite(targets: string[]): FakeResource {
  return {
    type: "pulumi-nodejs:dynamic/checks:SmokeSuite",
    name: "smoke",
    props: { targets, revision: "r1" },
  };
}

export function integrity(kind: "Snapshot" | "Verify"): FakeResource {
  return {
    type: `pulumi-nodejs:dynamic/checks:Integrity${kind}`,
    name: kind.toLowerCase(),
    props: { engine: "postgres" },
  };
}

export function alarm(service: string, kind = "service-down"): FakeResource {
  return {
    type: "aws:cloudwatch/metricAlarm:MetricAlarm",
    name: `${service}-${kind}`,
    props: { tags: { "fleetgate:service": service, "fleetgate:alarm": kind } },
  };
}

export function workflowFile(file: string, content: string): FakeResource {
  return {
    type: "github:index/repositoryFile:RepositoryFile",
    name: file,
    props: { repository: "fleetgate", file, content, branch: "main" },
  };
}

export function githubEnvironment(environment: string, reviewers: unknown): FakeResource {
  return {
    type: "github:index/repositoryEnvironment:RepositoryEnvironment",
    name: environment,
    props: { repository: "fleetgate", environment, ...(reviewers === undefined ? {} : { reviewers }) },
  };
}
