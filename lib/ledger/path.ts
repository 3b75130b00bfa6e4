/** Where a stack's ledger file lives (docs/deploy-features.md). */
import * as path from "path";

/**
 * `configured` (relative to the project) when set; else `<localStateDir>/ledger.jsonl` on the
 * local platform; else `.fleetgate/ledger/<stack>.jsonl` in the project.
 */
export function ledgerFile(
  projectDir: string,
  stack: string,
  configured?: string,
  localStateDir?: string,
): string {
  if (configured) return path.resolve(projectDir, configured);
  if (localStateDir) return path.join(localStateDir, "ledger.jsonl");
  return path.resolve(projectDir, ".fleetgate", "ledger", `${stack}.jsonl`);
}
