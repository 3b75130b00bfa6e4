/** Builds the fleet's services and env-var sets on the render platform. */
import { PlatformBuilder } from "../platform";

export const buildRenderPlatform: PlatformBuilder = () => {
  throw new Error("the render platform is not built yet (issue: render platform)");
};
