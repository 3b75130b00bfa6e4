/**
 * The one place the engine tests name fleetgate's own resource types: through
 * policies/lib/resourceTypes.ts, so moving Render resources from dynamic providers to the native
 * `fleetgate:render:*` plugin changes nothing here but that file.
 */
import * as pulumi from "@pulumi/pulumi";
import { RENDER_SERVICE } from "../../policies/lib/resourceTypes";

export * from "../../policies/lib/resourceTypes";

const DYNAMIC = /^pulumi-nodejs:dynamic\/(\w+):(\w+)$/;

// Preview never creates; an up of these test-only resources records their inputs as outputs.
const inert: pulumi.dynamic.ResourceProvider = {
  async create(inputs) {
    return { id: String(inputs.name), outs: inputs };
  },
};

/**
 * Registers a service resource of the type the policies read as a Render service, with the given
 * props: a dynamic resource of that module/type today, a custom resource of the native plugin's
 * type once RENDER_SERVICE names one.
 */
export function registerService(name: string, props: Record<string, unknown>): pulumi.Resource {
  const m = DYNAMIC.exec(RENDER_SERVICE);
  if (m) {
    return new (class extends pulumi.dynamic.Resource {
      constructor() {
        super(inert, name, props, {}, m![1], m![2]);
      }
    })();
  }
  return new (class extends pulumi.CustomResource {
    constructor() {
      super(RENDER_SERVICE, name, props);
    }
  })();
}
