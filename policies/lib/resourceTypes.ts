/**
 * Resource types the policies read, as the cross-team conventions name them. Dynamic resources
 * get their own type from the `module`/`type` constructor arguments (`pulumi-nodejs:dynamic/<module>:<Type>`).
 */

/** A deployed service on either platform: inputs `name`, `serviceType`, `image`, `public`, `healthCheckPath`. */
export const RENDER_SERVICE = "pulumi-nodejs:dynamic/render:Service";
export const LOCAL_SERVICE = "pulumi-nodejs:dynamic/local:Service";
export const SERVICE_TYPES = [RENDER_SERVICE, LOCAL_SERVICE];

/** An env-var set: inputs `setName`, `services`, `environment`, `keys`, `plainKeys`; output `foreignKeys`. */
export const RENDER_ENV_SET = "pulumi-nodejs:dynamic/render:EnvVarSet";
export const LOCAL_ENV_FILE = "pulumi-nodejs:dynamic/local:EnvFile";
export const ENV_SET_TYPES = [RENDER_ENV_SET, LOCAL_ENV_FILE];

/** Deploy gates: the smoke suite (input `targets`) and the integrity snapshot/verify pair. */
export const SMOKE_SUITE = "pulumi-nodejs:dynamic/checks:SmokeSuite";
export const INTEGRITY_SNAPSHOT = "pulumi-nodejs:dynamic/checks:IntegritySnapshot";
export const INTEGRITY_VERIFY = "pulumi-nodejs:dynamic/checks:IntegrityVerify";

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
