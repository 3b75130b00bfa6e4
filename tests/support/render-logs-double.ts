/**
 * Render's logs API as a small test double: a real HTTP server on loopback serving
 * `GET /v1/logs` the way Render documents it (kept apart from render-double.ts, which another
 * area owns):
 * - query: `ownerId` (required), `resource` (required, repeatable), `startTime`/`endTime`
 *   (RFC 3339), `direction` (`backward`, the default, newest first; or `forward`), `limit`
 *   (1-100, default 20), and filters fleetgate does not use (ignored here);
 * - answer 200 `{ "hasMore", "nextStartTime", "nextEndTime", "logs": [{ "id", "timestamp",
 *   "message", "labels": [{ "name", "value" }] }] }`; the next page is asked with the returned
 *   `nextStartTime`/`nextEndTime`;
 * - errors `{ "message" }`: 401 without the bearer key, 400 for a missing/invalid parameter.
 *
 *   const logs = await RenderLogsDouble.start({ apiKey: "rnd_test", ownerId: "tea-x" });
 *   logs.add("srv-1", "listening on :10000");     // a line logged now
 *   logs.url                                       // http://127.0.0.1:<port>/v1
 *   await logs.close();
 */
import * as http from "http";
import { AddressInfo } from "net";

export interface LogLine {
  id: string;
  timestamp: string;
  message: string;
  labels: { name: string; value: string }[];
}

export class RenderLogsDouble {
  private readonly lines: (LogLine & { resource: string })[] = [];
  /** Every request's query, in order (for assertions on paging and windows). */
  readonly requests: URLSearchParams[] = [];
  private seq = 0;

  private constructor(
    private readonly server: http.Server,
    private readonly opts: { apiKey: string; ownerId: string },
  ) {}

  static async start(opts: { apiKey: string; ownerId: string }): Promise<RenderLogsDouble> {
    const server = http.createServer();
    const double = new RenderLogsDouble(server, opts);
    server.on("request", (req, res) => double.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return double;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1`;
  }

  /** A line of `resource` (a service id), logged at `at` (default now). */
  add(resource: string, message: string, at: Date = new Date()): void {
    this.seq++;
    this.lines.push({
      id: `log-${this.seq}`,
      resource,
      timestamp: at.toISOString(),
      message,
      labels: [
        { name: "resource", value: resource },
        { name: "instance", value: `${resource}-abc12` },
        { name: "type", value: "app" },
        { name: "level", value: /error|panic/i.test(message) ? "error" : "info" },
      ],
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    if (req.method !== "GET" || url.pathname !== "/v1/logs") return send(404, { message: "not found" });
    this.requests.push(url.searchParams);
    if (req.headers.authorization !== `Bearer ${this.opts.apiKey}`)
      return send(401, { message: "unauthorized" });
    const q = url.searchParams;
    const ownerId = q.get("ownerId");
    if (!ownerId) return send(400, { message: "ownerId is required" });
    const resources = q.getAll("resource");
    if (!resources.length) return send(400, { message: "resource is required" });
    if (ownerId !== this.opts.ownerId) return send(200, { hasMore: false, logs: [] });
    const direction = q.get("direction") ?? "backward";
    if (direction !== "forward" && direction !== "backward") {
      return send(400, { message: "direction must be forward or backward" });
    }
    const limit = Number(q.get("limit") ?? 20);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
      return send(400, { message: "limit must be between 1 and 100" });
    }
    const time = (name: string, fallback: number) => {
      const v = q.get(name);
      return v === null ? fallback : Date.parse(v);
    };
    const end = time("endTime", Date.now());
    const start = time("startTime", end - 3600_000);
    if (Number.isNaN(start) || Number.isNaN(end))
      return send(400, { message: "invalid startTime or endTime" });
    const match = this.lines
      .filter((l) => resources.includes(l.resource))
      .filter((l) => Date.parse(l.timestamp) >= start && Date.parse(l.timestamp) <= end)
      .sort((a, b) => a.timestamp.localeCompare(b.timestamp) || a.id.localeCompare(b.id));
    if (direction === "backward") match.reverse();
    const page = match.slice(0, limit);
    const hasMore = match.length > limit;
    const body: Record<string, unknown> = {
      hasMore,
      logs: page.map(({ resource: _r, ...l }) => l),
    };
    if (hasMore) {
      const last = Date.parse(page[page.length - 1].timestamp);
      // The next page continues after (forward) or before (backward) the last line returned.
      body.nextStartTime = new Date(direction === "forward" ? last + 1 : start).toISOString();
      body.nextEndTime = new Date(direction === "forward" ? end : last - 1).toISOString();
    }
    send(200, body);
  }
}
