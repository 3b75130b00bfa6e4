/**
 * release-dispatch.yml (with ci.releaseDispatch): the contract by which an application
 * repository hands its built digests to this (infrastructure) repository's deploy. The app's
 * pipeline sends a `repository_dispatch` event of type `ci.releaseDispatch.eventType` with
 * `client_payload.images` = { service: "repo@sha256:…" }; this workflow deploys them to the one
 * environment the config names (never one the payload names) through pulumi-up.yml, where the
 * input's shape is checked and the stack config checks each digest's repository and service.
 */
import { CiConfig } from "../../../config/ci";
import { Workflow } from "../model";
import { oidcPermission, WORKFLOW_DIR } from "./common";
import { PULUMI_UP_FILE, repositorySecretsForCall } from "./pulumi-up";

export const RELEASE_DISPATCH_FILE = "release-dispatch.yml";

export function releaseDispatchWorkflow(ci: CiConfig): Workflow | undefined {
  const dispatch = ci.releaseDispatch;
  if (!dispatch) return undefined;
  return {
    file: RELEASE_DISPATCH_FILE,
    name: "release from another repository",
    on: { repository_dispatch: { types: [dispatch.eventType] } },
    permissions: {},
    // One release at a time; a newer hand-over waits instead of cancelling a running deploy.
    concurrency: { group: "release-dispatch", cancelInProgress: false },
    jobs: {
      deploy: {
        name: `deploy (${dispatch.environment})`,
        permissions: { contents: "read", ...oidcPermission(ci) },
        uses: `./${WORKFLOW_DIR}/${PULUMI_UP_FILE}`,
        with: {
          environment: dispatch.environment,
          "release-images": "${{ toJSON(github.event.client_payload.images) }}",
        },
        ...repositorySecretsForCall(ci),
      },
    },
  };
}
