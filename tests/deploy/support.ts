/** Test helpers of the deploy-features tests: a chat webhook on loopback that records posts. */
import * as http from "http";
import type { AddressInfo } from "net";

export interface ChatHook {
  /** Base URL; the path carries a fake token (as real incoming-webhook URLs do). */
  url: string;
  posts: { path: string; body: { text: string; record: Record<string, unknown> } }[];
  /** Status the hook answers with. */
  status: number;
  close(): Promise<void>;
}

export async function startChatHook(): Promise<ChatHook> {
  const hook = { posts: [], status: 200 } as unknown as ChatHook;
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      hook.posts.push({ path: req.url ?? "", body: JSON.parse(body) });
      res.writeHead(hook.status).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  hook.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  hook.close = () => new Promise((r) => server.close(() => r()));
  return hook;
}
