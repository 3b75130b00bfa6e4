/**
 * TagDigest: holds the digest an exact version tag pointed at when the stack first deployed it.
 * The program resolves the tag at every run (so `preview` shows the digest); this resource keeps
 * the first answer for as long as the tag in the config stays the same, so a tag re-pushed in
 * the registry cannot change what runs. Changing the tag (a new version) takes the new answer.
 * Type: `pulumi-nodejs:dynamic/release:TagDigest`. Holds no secrets and makes no calls.
 */
import * as pulumi from "@pulumi/pulumi";

export interface TagDigestInputs {
  /** The reference as declared, e.g. `ghcr.io/acme/api:1.4.2`. */
  reference: string;
  /** What the tag resolved to in this run (`repo@sha256:…`). */
  observed: string;
}

export interface TagDigestOutputs extends TagDigestInputs {
  /** What the stack deploys: the resolution kept since this reference was first deployed. */
  image: string;
  /** When that resolution was taken. */
  resolvedAt: string;
}

export const tagDigestProvider: pulumi.dynamic.ResourceProvider = {
  async diff(_id: string, olds: TagDigestOutputs, news: TagDigestInputs): Promise<pulumi.dynamic.DiffResult> {
    // Only a new reference is a change; a different `observed` for the same tag is a re-push,
    // which must not move the deployed digest (the program warns about it instead).
    const changed = olds.reference !== news.reference;
    return { changes: changed, replaces: [], deleteBeforeReplace: false };
  },
  async create(inputs: TagDigestInputs) {
    const outs: TagDigestOutputs = {
      ...inputs,
      image: inputs.observed,
      resolvedAt: new Date().toISOString(),
    };
    return { id: inputs.reference, outs };
  },
  async update(_id: string, _olds: TagDigestOutputs, news: TagDigestInputs) {
    const outs: TagDigestOutputs = { ...news, image: news.observed, resolvedAt: new Date().toISOString() };
    return { outs };
  },
};

export interface TagDigestArgs {
  reference: pulumi.Input<string>;
  observed: pulumi.Input<string>;
}

export class TagDigest extends pulumi.dynamic.Resource {
  declare readonly image: pulumi.Output<string>;
  declare readonly resolvedAt: pulumi.Output<string>;

  constructor(name: string, args: TagDigestArgs, opts?: pulumi.CustomResourceOptions) {
    // `image` is an input-shaped output: in a preview of a first deploy the engine shows the
    // observed digest; afterwards the state's value is kept until the reference changes.
    super(
      tagDigestProvider,
      name,
      { ...args, image: args.observed, resolvedAt: undefined },
      opts,
      "release",
      "TagDigest",
    );
  }
}
