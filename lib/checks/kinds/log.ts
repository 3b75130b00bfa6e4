/**
 * `log`: after the deploy, no log line of the target matches an `absent` pattern (within the
 * window and for `watchSeconds` more), and every `present` pattern matches some line before the
 * check's timeout. The failing line is quoted (cut short) so the table says what went wrong.
 */
import { checkFailed } from "../failure";
import type { CheckContext } from "../context";
import { logReader } from "./logSources";

const POLL_MS = 500;

function quote(line: string): string {
  const one = line.trim();
  return JSON.stringify(one.length > 160 ? `${one.slice(0, 157)}...` : one);
}

export async function logCheck(ctx: CheckContext): Promise<string> {
  const check = ctx.check;
  if (check.kind !== "log") throw new Error(`logCheck got a ${check.kind} check`);
  if (!check.logSource) {
    throw checkFailed(
      `no log source for "${check.target}" (the platform gave none and the check names no file)`,
    );
  }
  const started = Date.now();
  const deadline = started + check.timeoutMs;
  const watchUntil = Math.min(deadline, started + check.watchSeconds * 1000);
  const absent = check.absent.map((p) => new RegExp(p));
  const missing = check.present.map((p) => new RegExp(p));
  const reader = logReader(check.logSource, {
    apiKey: check.apiKey,
    windowSeconds: check.windowSeconds,
    deadline: () => deadline,
  });
  let lines = 0;
  for (;;) {
    for (const line of await reader.next()) {
      lines++;
      const bad = absent.find((re) => re.test(line));
      if (bad) throw checkFailed(`a log line matches /${bad.source}/: ${quote(line)}`);
      for (let i = missing.length - 1; i >= 0; i--) if (missing[i].test(line)) missing.splice(i, 1);
    }
    const now = Date.now();
    if (missing.length === 0 && now >= watchUntil) break;
    if (now + POLL_MS >= deadline) {
      if (missing.length === 0) break;
      throw checkFailed(
        `no log line matched ${missing.map((re) => `/${re.source}/`).join(", ")} within ${check.timeoutMs} ms (${lines} lines read)`,
      );
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  const watched = check.watchSeconds > 0 ? `, watched ${Math.round((Date.now() - started) / 1000)} s` : "";
  return `${lines} lines, no forbidden pattern${check.present.length ? ", required patterns seen" : ""}${watched}`;
}
