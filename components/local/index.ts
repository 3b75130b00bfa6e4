/** Builds the fleet's services and env-var sets on the local platform. */
import { PlatformBuilder } from "../platform";

export const buildLocalPlatform: PlatformBuilder = () => {
  throw new Error("the local platform is not built yet (issue: local platform)");
};
