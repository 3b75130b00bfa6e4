/**
 * The one table of third-party actions the generated workflows use, each pinned to the full
 * commit SHA of a released version (a tag can be moved; a commit cannot). Every `uses:` in a
 * generated workflow comes from here and is written as `<repo>@<sha> # <version>`.
 *
 * To upgrade: resolve the new tag to its commit (`git rev-parse <tag>^{commit}` in a clone of
 * the action's repository) and change both fields together.
 */

export interface PinnedAction {
  /** `owner/repo` (or `owner/repo/path` for an action in a subdirectory). */
  repo: string;
  /** The released version the SHA belongs to; written as a comment beside it. */
  version: string;
  /** Full 40-hex commit SHA of that version. */
  sha: string;
}

export const PINNED_ACTIONS = {
  checkout: { repo: "actions/checkout", version: "v7.0.1", sha: "3d3c42e5aac5ba805825da76410c181273ba90b1" },
  "setup-node": {
    repo: "actions/setup-node",
    version: "v7.0.0",
    sha: "820762786026740c76f36085b0efc47a31fe5020",
  },
  cache: { repo: "actions/cache", version: "v5.0.5", sha: "27d5ce7f107fe9357f9df03efb73ab90386fccae" },
  "setup-buildx": {
    repo: "docker/setup-buildx-action",
    version: "v4.3.0",
    sha: "37fe631027851001ddb9b187196cc803df7f5f0e",
  },
  "build-push": {
    repo: "docker/build-push-action",
    version: "v7.3.0",
    sha: "53b7df96c91f9c12dcc8a07bcb9ccacbed38856a",
  },
  "docker-login": {
    repo: "docker/login-action",
    version: "v4.1.0",
    sha: "4907a6ddec9925e35a0a9e82d7399ccc52663121",
  },
  pulumi: { repo: "pulumi/actions", version: "v7.0.0", sha: "8e5e406f4007fca908480587cb9893c07090f58d" },
  "pulumi-auth": {
    repo: "pulumi/auth-actions",
    version: "v2.1.0",
    sha: "141415910c3beb54e03b48e9057c204c97b956f2",
  },
} as const satisfies Record<string, PinnedAction>;

export type PinnedActionName = keyof typeof PINNED_ACTIONS;

export const PINNED_ACTION_NAMES = Object.keys(PINNED_ACTIONS) as PinnedActionName[];

/** `owner/repo[/path]@<40 hex>`: the only form of a third-party `uses:` the pipeline accepts. */
export const PINNED_USES = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+(\/[A-Za-z0-9_./-]+)?@[0-9a-f]{40}$/;

export function pinned(name: PinnedActionName): PinnedAction {
  return PINNED_ACTIONS[name];
}
