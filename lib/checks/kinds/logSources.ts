/**
 * Log readers for the `log` check: each `next()` returns the lines that appeared since the
 * previous call (the first call returns the lines of the window).
 * - file: the local platform's log of a service (`<stateDir>/logs/<service>.log`). The window
 *   is the running deploy: the lines after the last `--- fleetgate: start` marker the platform
 *   writes at each (re)start (the whole file when it has none).
 * - render: Render's `GET /v1/logs?ownerId=&resource=<id>&startTime=&endTime=&direction=forward`,
 *   answered as `{ hasMore, nextStartTime, nextEndTime, logs: [{ id, timestamp, message, labels }] }`;
 *   pages are followed while `hasMore`, from `nextStartTime`/`nextEndTime`.
 */
import { httpRequest } from "../http";
import { checkFailed } from "../failure";
import type { LogSource } from "../types";

export interface LogReader {
  next(): Promise<string[]>;
}

/** Written by providers/local/process.ts before each start of a service. */
const START_MARKER = "--- fleetgate: start ";
/** Only the end of a large log is read: a deploy's own lines are recent. */
const MAX_FILE_BYTES = 8 * 1024 * 1024;
/** A bound on pages per read, so a noisy service cannot hold the check forever. */
const MAX_PAGES = 20;

function fileReader(path: string): LogReader {
  let seen = -1;
  return {
    async next() {
      const fs = require("fs") as typeof import("fs");
      let text: string;
      try {
        const size = fs.statSync(path).size;
        const fd = fs.openSync(path, "r");
        try {
          const start = Math.max(0, size - MAX_FILE_BYTES);
          const buf = Buffer.alloc(size - start);
          fs.readSync(fd, buf, 0, buf.length, start);
          text = buf.toString("utf8");
        } finally {
          fs.closeSync(fd);
        }
      } catch (err) {
        throw checkFailed(`cannot read the log file ${path} (${(err as { code?: string }).code ?? err})`);
      }
      const all = text.split("\n");
      if (all[all.length - 1] === "") all.pop();
      const marker = all.map((l) => l.startsWith(START_MARKER)).lastIndexOf(true);
      const lines = all.slice(marker + 1);
      // A restart since the last read starts a new window.
      const fresh = seen < 0 || (marker >= 0 && seen > lines.length) ? lines : lines.slice(seen);
      seen = lines.length;
      return fresh;
    },
  };
}

interface RenderLogPage {
  hasMore?: boolean;
  nextStartTime?: string;
  nextEndTime?: string;
  logs?: { id?: string; timestamp?: string; message?: string }[];
}

function renderReader(
  source: Extract<LogSource, { kind: "render" }>,
  apiKey: string | undefined,
  windowSeconds: number,
  deadline: () => number,
): LogReader {
  let from = new Date(Date.now() - windowSeconds * 1000).toISOString();
  const seenIds: Record<string, true> = {};
  return {
    async next() {
      if (!apiKey)
        throw checkFailed("no Render API key to read the logs with (set RENDER_API_KEY or platform.apiKey)");
      const until = new Date().toISOString();
      const out: string[] = [];
      let start = from;
      let end = until;
      for (let page = 0; page < MAX_PAGES; page++) {
        const q = new URLSearchParams({
          ownerId: source.ownerId,
          resource: source.resourceId,
          startTime: start,
          endTime: end,
          direction: "forward",
          limit: "100",
        });
        const left = deadline() - Date.now();
        if (left <= 0) break;
        const res = await httpRequest({
          url: `${source.baseUrl.replace(/\/+$/, "")}/logs?${q}`,
          headers: { authorization: `Bearer ${apiKey}`, accept: "application/json" },
          timeoutMs: left,
        });
        if (res.status !== 200) {
          let message = "";
          try {
            message = (JSON.parse(res.body) as { message?: string }).message ?? "";
          } catch {
            // not JSON: the status says enough
          }
          throw checkFailed(`Render logs API answered ${res.status}${message ? `: ${message}` : ""}`);
        }
        let body: RenderLogPage;
        try {
          body = JSON.parse(res.body) as RenderLogPage;
        } catch {
          throw checkFailed("Render logs API answered with a body that is not JSON");
        }
        for (const log of body.logs ?? []) {
          const id = log.id ?? `${log.timestamp}:${log.message}`;
          if (seenIds[id]) continue;
          seenIds[id] = true;
          out.push(log.message ?? "");
        }
        if (!body.hasMore || !body.nextStartTime) break;
        start = body.nextStartTime;
        end = body.nextEndTime ?? end;
      }
      from = until;
      return out;
    },
  };
}

export function logReader(
  source: LogSource,
  opts: { apiKey?: string; windowSeconds: number; deadline: () => number },
): LogReader {
  return source.kind === "file"
    ? fileReader(source.path)
    : renderReader(source, opts.apiKey, opts.windowSeconds, opts.deadline);
}

/**
 * The source of a `log` check on a deployed service (the wiring components/gates.ts needs):
 * the check's own `file` (relative to the project), else the local platform's
 * `<stateDir>/logs/<service>.log`, else Render's logs API for the service id.
 */
export function logSourceFor(args: {
  check: { target: string; file?: string };
  platform: { kind: "render"; baseUrl: string; ownerId: string } | { kind: "local" };
  /** The deployed service's platform id (`srv-...` on Render). */
  serviceId: string;
  /** The local platform's state dir (components/local `localStateDir`). */
  localStateDir?: string;
  projectDir: string;
}): LogSource {
  const path = require("path") as typeof import("path");
  if (args.check.file) return { kind: "file", path: path.resolve(args.projectDir, args.check.file) };
  if (args.platform.kind === "local") {
    if (!args.localStateDir) throw new Error("logSourceFor: the local platform needs its state dir");
    return { kind: "file", path: path.join(args.localStateDir, "logs", `${args.check.target}.log`) };
  }
  return {
    kind: "render",
    baseUrl: args.platform.baseUrl,
    ownerId: args.platform.ownerId,
    resourceId: args.serviceId,
  };
}
