/**
 * Resource types the policies read. fleetgate's own tokens come from the one module that lists
 * them (provider/resourceTypes.ts, shared with the provider plugin and the components); the
 * legacy dynamic-provider types stay in the lists so stacks not yet migrated are still checked.
 */
import {
  INTEGRITY_SNAPSHOT,
  INTEGRITY_VERIFY,
  LEGACY_RENDER_ENV_SET,
  LEGACY_RENDER_SERVICE,
  LOCAL_ENV_FILE,
  LOCAL_SERVICE,
  RENDER_ENV_VARS,
  RENDER_SERVICE,
  SMOKE_SUITE,
} from "../../provider/resourceTypes";

export {
  INTEGRITY_SNAPSHOT,
  INTEGRITY_VERIFY,
  LOCAL_ENV_FILE,
  LOCAL_SERVICE,
  RENDER_ENV_VARS,
  RENDER_SERVICE,
  SMOKE_SUITE,
};

/** A deployed service on either platform: inputs `name`, `serviceType`, `image`, `healthCheckPath` (`public` on local). */
export const SERVICE_TYPES = [RENDER_SERVICE, LEGACY_RENDER_SERVICE, LOCAL_SERVICE];

/** Env resources (policies/lib/envResources.ts reads each shape). */
export const ENV_SET_TYPES = [RENDER_ENV_VARS, LEGACY_RENDER_ENV_SET, LOCAL_ENV_FILE];

/** GitHub: workflow files (`file`, `content`) and deployment environments (`environment`, `reviewers`). */
export const GITHUB_REPOSITORY_FILE = "github:index/repositoryFile:RepositoryFile";
export const GITHUB_ENVIRONMENT = "github:index/repositoryEnvironment:RepositoryEnvironment";

/** AWS CloudWatch alarms, tagged `fleetgate:service` and `fleetgate:alarm`. */
export const AWS_METRIC_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";
export const AWS_COMPOSITE_ALARM = "aws:cloudwatch/compositeAlarm:CompositeAlarm";
export const ALARM_SERVICE_TAG = "fleetgate:service";
export const ALARM_KIND_TAG = "fleetgate:alarm";

/** Docker resources and the input that holds their image reference. */
export const DOCKER_IMAGE_INPUTS: Record<string, string> = {
  "docker:index/container:Container": "image",
  "docker:index/remoteImage:RemoteImage": "name",
  "docker:index/registryImage:RegistryImage": "name",
  "docker:index/image:Image": "imageName",
  "docker:index/service:Service": "taskSpec.containerSpec.image",
};
