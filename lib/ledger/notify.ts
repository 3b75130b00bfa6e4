/**
 * Deploy notifications: one JSON POST per chat webhook (Slack/Mattermost-style `text`, plus the
 * record for machines). A notification that fails is reported back, never thrown: the deploy's
 * outcome does not depend on a chat service.
 */
import type { DeployRecord } from "./record";

export interface Webhook {
  name: string;
  url: string;
  /** `start` is heard by the announcement (providers/notify/announcement.ts), not by `notify`. */
  on: ("start" | "success" | "failure")[];
}

/** The one-line summary a person reads in the chat channel. */
export function notificationText(rec: DeployRecord): string {
  const passed = rec.checks.filter((c) => c.status === "pass").length;
  const failed = `fleetgate: ${rec.fleet} (${rec.stack}) deploy of revision ${rec.revision} FAILED at ${rec.failure?.gate ?? "a gate"}`;
  const head =
    rec.outcome === "succeeded"
      ? `fleetgate: ${rec.fleet} (${rec.stack}) deployed revision ${rec.revision}`
      : rec.outcome === "rolled-back"
        ? `${failed} and was ROLLED BACK`
        : failed;
  const parts = [head, `checks ${passed}/${rec.checks.length} passed`];
  if (rec.rollback.length) parts.push(`rollback: ${rec.rollback.join("; ")}`);
  if (rec.failure) parts.push(rec.failure.message.split("\n")[0]);
  return parts.join(" | ");
}

/**
 * Posts the record to every webhook that listens for its outcome. Returns one line per webhook
 * that failed (by name: the URL is a credential and never appears).
 */
export async function notify(webhooks: Webhook[], rec: DeployRecord, timeoutMs: number): Promise<string[]> {
  const event = rec.outcome === "succeeded" ? "success" : "failure";
  const body = JSON.stringify({ text: notificationText(rec), record: rec });
  const problems: string[] = [];
  await Promise.all(
    webhooks
      .filter((w) => w.on.includes(event))
      .map(async (w) => {
        try {
          const res = await fetch(w.url, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body,
            signal: AbortSignal.timeout(timeoutMs),
          });
          if (!res.ok) problems.push(`webhook ${w.name}: answered ${res.status}`);
          await res.body?.cancel();
        } catch (err) {
          const name = (err as Error).name;
          problems.push(
            `webhook ${w.name}: ${name === "TimeoutError" ? `no answer within ${timeoutMs} ms` : "could not be reached"}`,
          );
        }
      }),
  );
  return problems.sort();
}
