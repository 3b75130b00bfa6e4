/**
 * `mcp`: a Model Context Protocol server over streamable HTTP answers JSON-RPC `initialize`
 * and lists at least `minTools` tools (following `nextCursor` pages). Answers may be plain
 * JSON or a server-sent-event stream; a session id handed out by `initialize` is sent back.
 */
import { checkFailed } from "../failure";
import { isJsonType, mediaType, HttpResponse } from "../http";
import type { CheckContext } from "../context";

const PROTOCOL_VERSION = "2025-06-18";
const MAX_PAGES = 10;

interface RpcAnswer {
  id?: unknown;
  result?: Record<string, unknown>;
  error?: { code?: number; message?: string };
}

/** The JSON-RPC answer with the given id from a JSON body or an SSE stream of `data:` lines. */
export function rpcAnswer(res: HttpResponse, id: number): RpcAnswer {
  const type = mediaType(res);
  let messages: unknown[];
  try {
    if (isJsonType(type)) messages = [JSON.parse(res.body)].flat();
    else if (type === "text/event-stream") {
      messages = res.body
        .split(/\r?\n\r?\n/)
        .map((event) =>
          event
            .split(/\r?\n/)
            .filter((l) => l.startsWith("data:"))
            .map((l) => l.slice(5).trimStart())
            .join("\n"),
        )
        .filter((data) => data.length > 0)
        .map((data) => JSON.parse(data));
    } else throw checkFailed(`expected JSON or an event stream, got content type "${type || "none"}"`);
  } catch (err) {
    if ((err as { checkFailure?: string }).checkFailure) throw err;
    throw checkFailed("the answer is not valid JSON-RPC");
  }
  const answer = messages.find((m) => (m as RpcAnswer)?.id === id) as RpcAnswer | undefined;
  if (!answer) throw checkFailed(`no JSON-RPC answer with id ${id}`);
  if (answer.error)
    throw checkFailed(`JSON-RPC error ${answer.error.code ?? ""}: ${answer.error.message ?? ""}`.trim());
  return answer;
}

export async function mcpToolsCheck(ctx: CheckContext): Promise<string> {
  const check = ctx.check;
  if (check.kind !== "mcp") throw new Error(`mcpToolsCheck got a ${check.kind} check`);
  const headers: Record<string, string> = {
    accept: "application/json, text/event-stream",
    "content-type": "application/json",
    ...(check.apiKey ? { authorization: `Bearer ${check.apiKey}` } : {}),
  };
  let nextId = 1;
  const call = async (method: string, params: Record<string, unknown>) => {
    const id = nextId++;
    const res = await ctx.send({
      method: "POST",
      headers,
      body: JSON.stringify({ jsonrpc: "2.0", id, method, params }),
    });
    if (res.status < 200 || res.status > 299)
      throw checkFailed(`${method} answered ${res.status}, expected 2xx`);
    return { res, answer: rpcAnswer(res, id) };
  };

  const init = await call("initialize", {
    protocolVersion: PROTOCOL_VERSION,
    capabilities: {},
    clientInfo: { name: "fleetgate-smoke", version: "1" },
  });
  const session = init.res.headers["mcp-session-id"];
  if (session) headers["mcp-session-id"] = session;
  const version = init.answer.result?.protocolVersion;
  if (typeof version === "string") headers["mcp-protocol-version"] = version;
  const notified = await ctx.send({
    method: "POST",
    headers,
    body: JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }),
  });
  if (notified.status >= 400) throw checkFailed(`notifications/initialized answered ${notified.status}`);

  let tools = 0;
  let cursor: unknown;
  for (let page = 0; page < MAX_PAGES; page++) {
    const { answer } = await call("tools/list", cursor === undefined ? {} : { cursor });
    const list = answer.result?.tools;
    if (!Array.isArray(list)) throw checkFailed("tools/list returned no tools array");
    tools += list.length;
    cursor = answer.result?.nextCursor;
    if (typeof cursor !== "string" || cursor === "") break;
  }
  if (tools < check.minTools) throw checkFailed(`lists ${tools} tools, expected at least ${check.minTools}`);
  return `${tools} tools`;
}
