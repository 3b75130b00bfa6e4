/**
 * The delivery pipeline, emitted as GitHub Actions workflows (see components/ci).
 */
import { z } from "zod";

export const ciConfig = z.strictObject({
  /** GitHub repository as `owner/name`. */
  repository: z.string().regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, "must be owner/name"),
  /** Branch that deploys. */
  defaultBranch: z.string().min(1).default("main"),
});
export type CiConfig = z.infer<typeof ciConfig>;
