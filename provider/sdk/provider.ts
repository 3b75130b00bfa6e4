/**
 * An explicit instance of the fleetgate provider, for programs that hand the Render API key in as
 * a (secret) input instead of the stack config: pass it to a component with
 * `{ providers: [provider] }` (or to a resource with `{ provider }`). The key is kept secret.
 */
import * as pulumi from "@pulumi/pulumi";
import { PACKAGE } from "../resourceTypes";

export interface ProviderArgs {
  /** Render API key; made secret. Else `fleetgate:renderApiKey` or RENDER_API_KEY. */
  renderApiKey?: pulumi.Input<string>;
}

export class Provider extends pulumi.ProviderResource {
  constructor(name: string, args: ProviderArgs = {}, opts?: pulumi.ResourceOptions) {
    super(
      PACKAGE,
      name,
      { renderApiKey: args.renderApiKey === undefined ? undefined : pulumi.secret(args.renderApiKey) },
      opts,
    );
  }
}
