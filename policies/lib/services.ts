/** The fleet's services as the stack registers them (Render or local), for stack policies. */
import { PolicyResource } from "@pulumi/policy";
import { known, stringProp } from "./props";
import { SERVICE_TYPES } from "./resourceTypes";

export interface StackService {
  name: string;
  type: string;
  public: boolean;
  resource: PolicyResource;
}

/** Every service resource of the stack; the service name is its `name` input (else its resource name). */
export function stackServices(
  resources: PolicyResource[],
  types: readonly string[] = SERVICE_TYPES,
): StackService[] {
  return resources
    .filter((r) => types.includes(r.type))
    .map((r) => ({
      name: stringProp(r.props, "name") ?? r.name,
      type: r.type,
      public: isPublic(r.props),
      resource: r,
    }));
}

/** Public: `public: true`, or a `web` service when `public` is not recorded. */
export function isPublic(props: Record<string, unknown>): boolean {
  const flag = known(() => props.public);
  if (typeof flag === "boolean") return flag;
  return stringProp(props, "serviceType") === "web";
}
