/**
 * One view of the env resources the policies read, whatever their shape: the per-service
 * `fleetgate:render:EnvVars` (inputs `serviceName`, `sources`/`vars`, `environment`, `plainKeys`;
 * output `foreignKeys: string[]`), the local `EnvFile` and the legacy per-set `EnvVarSet`
 * (`setName`, `keys`, `plainKeys`, `environment`; output `foreignKeys` per service).
 */
import { PolicyResource } from "@pulumi/policy";
import { known, stringListProp, stringProp } from "./props";

export interface EnvResourceView {
  /** How messages name it: `env-var set "<set>"` or `env vars of service "<service>"`. */
  label: string;
  environment?: string;
  /** Declared keys. */
  keys: string[];
  /** Declared keys whose value is not a secret reference. */
  plainKeys: string[];
  /** Keys found on the platform that nothing declares, per service (known ones only). */
  foreignKeys: Record<string, string[]>;
}

function objectKeys(props: Record<string, unknown>, field: string): string[] {
  const v = known(() => props[field]);
  return v && typeof v === "object" && !Array.isArray(v) ? Object.keys(v) : [];
}

export function envResourceView(r: Pick<PolicyResource, "props" | "name">): EnvResourceView {
  const props = r.props;
  const setName = stringProp(props, "setName");
  const serviceName = stringProp(props, "serviceName");
  const label = setName
    ? `env-var set "${setName}"`
    : serviceName
      ? `env vars of service "${serviceName}"`
      : `env-var set "${r.name}"`;
  const listed = stringListProp(props, "keys");
  const keys = listed.length
    ? listed
    : objectKeys(props, "sources").length
      ? objectKeys(props, "sources")
      : objectKeys(props, "vars");
  const foreignKeys: Record<string, string[]> = {};
  const foreign = known(() => props.foreignKeys);
  if (Array.isArray(foreign)) {
    foreignKeys[serviceName ?? r.name] = stringListProp(props, "foreignKeys");
  } else if (foreign && typeof foreign === "object") {
    for (const svc of Object.keys(foreign)) {
      const list = known(() => (foreign as Record<string, unknown>)[svc]);
      if (Array.isArray(list)) foreignKeys[svc] = list.filter((k): k is string => typeof k === "string");
    }
  }
  return {
    label,
    environment: stringProp(props, "environment"),
    keys,
    plainKeys: stringListProp(props, "plainKeys"),
    foreignKeys,
  };
}
