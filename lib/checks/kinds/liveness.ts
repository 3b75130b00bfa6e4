/**
 * `liveness`: a service without a public URL (a worker, a private service) is alive by the
 * platform's own word, and stays so for `minUptimeSeconds`:
 * - local: `<stateDir>/services/<service>/process.json` names the process; it must exist with
 *   the recorded kernel start time (not a reused pid), not be a zombie, and have run for
 *   `minUptimeSeconds` (the check waits for the rest, then looks again);
 * - render: `GET /v1/services/{id}` must not be suspended and the newest of
 *   `GET /v1/services/{id}/deploys?limit=1` must be `live`, again after `minUptimeSeconds`
 *   (a deploy that failed or was replaced in between fails the check).
 */
import { httpRequest } from "../http";
import { checkFailed } from "../failure";
import type { CheckContext } from "../context";
import type { LivenessSource } from "../types";

/** Linux's USER_HZ: /proc start times are in these ticks. */
const CLOCK_TICKS = 100;

interface LocalState {
  pid: number;
  uptimeSeconds: number;
}

function localState(source: Extract<LivenessSource, { kind: "local" }>): LocalState {
  const fs = require("fs") as typeof import("fs");
  const path = require("path") as typeof import("path");
  const file = path.join(source.stateDir, "services", source.service, "process.json");
  let rec: { pid?: number; startTime?: string };
  try {
    rec = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (err) {
    throw checkFailed(
      `no process record for "${source.service}" (${(err as { code?: string }).code ?? "unreadable"}: ${file})`,
    );
  }
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${rec.pid}/stat`, "utf8");
  } catch {
    throw checkFailed(`process ${rec.pid} of "${source.service}" is not running`);
  }
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // The local platform records `proc:<ticks>` (providers/local/process.ts); bare ticks are older records.
  const recorded = String(rec.startTime ?? "").replace(/^proc:/, "");
  if (fields[19] !== recorded)
    throw checkFailed(`process ${rec.pid} of "${source.service}" is not running (pid reused)`);
  if (fields[0] === "Z" || fields[0] === "X")
    throw checkFailed(`process ${rec.pid} of "${source.service}" has exited`);
  const sinceBoot = Number(fs.readFileSync("/proc/uptime", "utf8").split(" ")[0]);
  return { pid: rec.pid!, uptimeSeconds: sinceBoot - Number(recorded) / CLOCK_TICKS };
}

async function renderJson(url: string, apiKey: string | undefined, deadline: number): Promise<unknown> {
  if (!apiKey)
    throw checkFailed(
      "no Render API key to ask for the service's status (set RENDER_API_KEY or platform.apiKey)",
    );
  const res = await httpRequest({
    url,
    headers: { authorization: `Bearer ${apiKey}`, accept: "application/json" },
    timeoutMs: Math.max(1, deadline - Date.now()),
  });
  let body: unknown;
  try {
    body = JSON.parse(res.body);
  } catch {
    throw checkFailed(`Render answered ${res.status} with a body that is not JSON`);
  }
  if (res.status !== 200) {
    throw checkFailed(
      `Render answered ${res.status}: ${(body as { message?: string })?.message ?? "no message"}`,
    );
  }
  return body;
}

async function renderState(
  source: Extract<LivenessSource, { kind: "render" }>,
  apiKey: string | undefined,
  deadline: number,
): Promise<{ deployId: string; status: string }> {
  const base = `${source.baseUrl.replace(/\/+$/, "")}/services/${encodeURIComponent(source.serviceId)}`;
  const service = (await renderJson(base, apiKey, deadline)) as { suspended?: string };
  if (service.suspended === "suspended") throw checkFailed(`service ${source.serviceId} is suspended`);
  const list = (await renderJson(`${base}/deploys?limit=1`, apiKey, deadline)) as {
    deploy?: { id: string; status: string };
  }[];
  const newest = Array.isArray(list) ? list[0]?.deploy : undefined;
  if (!newest) throw checkFailed(`service ${source.serviceId} has no deploy`);
  if (newest.status !== "live")
    throw checkFailed(`the newest deploy ${newest.id} is ${newest.status}, not live`);
  return { deployId: newest.id, status: newest.status };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function livenessCheck(ctx: CheckContext): Promise<string> {
  const check = ctx.check;
  if (check.kind !== "liveness") throw new Error(`livenessCheck got a ${check.kind} check`);
  const source = check.livenessSource;
  if (!source) throw checkFailed(`no liveness source for "${check.target}" on this platform`);
  const deadline = Date.now() + check.timeoutMs;
  const tooLong = () =>
    checkFailed(
      `minUptimeSeconds (${check.minUptimeSeconds} s) does not fit in the check's timeout (${check.timeoutMs} ms); raise timeoutMs`,
    );
  if (source.kind === "local") {
    const first = localState(source);
    const waitMs = Math.max(0, (check.minUptimeSeconds - first.uptimeSeconds) * 1000);
    if (waitMs > 0) {
      if (Date.now() + waitMs >= deadline) throw tooLong();
      await sleep(waitMs);
    }
    const now = localState(source);
    if (now.pid !== first.pid)
      throw checkFailed(`"${source.service}" restarted during the check (pid ${first.pid} → ${now.pid})`);
    return `process ${now.pid} up ${Math.floor(now.uptimeSeconds)} s`;
  }
  const first = await renderState(source, check.apiKey, deadline);
  if (check.minUptimeSeconds > 0) {
    if (Date.now() + check.minUptimeSeconds * 1000 >= deadline) throw tooLong();
    await sleep(check.minUptimeSeconds * 1000);
    const later = await renderState(source, check.apiKey, deadline);
    if (later.deployId !== first.deployId) {
      throw checkFailed(`the live deploy changed during the check (${first.deployId} → ${later.deployId})`);
    }
  }
  return `deploy ${first.deployId} live${check.minUptimeSeconds ? ` for ${check.minUptimeSeconds} s` : ""}`;
}

/** The liveness source of a deployed service (the wiring components/gates.ts needs). */
export function livenessSourceFor(args: {
  service: string;
  platform: { kind: "render"; baseUrl: string } | { kind: "local" };
  serviceId: string;
  localStateDir?: string;
}): LivenessSource {
  if (args.platform.kind === "local") {
    if (!args.localStateDir) throw new Error("livenessSourceFor: the local platform needs its state dir");
    return { kind: "local", stateDir: args.localStateDir, service: args.service };
  }
  return { kind: "render", baseUrl: args.platform.baseUrl, serviceId: args.serviceId };
}
