/**
 * Where the local stack keeps its processes' records, env files and logs. Its own module so the
 * gates can find a local service's log file without importing the platform (no import cycle).
 */
import * as path from "path";
import { StackConfig } from "../../config/schema";

/** The state dir of the local stack: absolute, default `.fleetgate/local/<stack>` in the project. */
export function localStateDir(cfg: StackConfig, projectDir: string, stack: string): string {
  const configured = cfg.platform.kind === "local" ? cfg.platform.stateDir : undefined;
  return path.resolve(projectDir, configured ?? path.join(".fleetgate", "local", stack));
}
