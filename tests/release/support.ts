/**
 * A real OCI registry on loopback for the release tests: Debian's `docker-registry` (the CNCF
 * distribution server) with filesystem storage in a temp dir, and `crane` to push test images
 * without a Docker engine (both installed by scripts/setup-test-tools.sh).
 */
import { ChildProcess, execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as http from "http";
import { AddressInfo } from "net";
import * as path from "path";
import { stringify } from "yaml";
import { toolsPath } from "../ci/support";
import { freePort } from "../local/support";

export interface TestRegistry {
  /** `127.0.0.1:<port>`: the registry part of image references. */
  host: string;
  stop(): Promise<void>;
}

/** Starts `docker-registry serve` on a free loopback port; resolves once `/v2/` answers. */
export async function startRegistry(dir: string): Promise<TestRegistry> {
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const config = path.join(dir, "registry.yml");
  fs.writeFileSync(
    config,
    stringify({
      version: 0.1,
      log: { level: "error" },
      storage: { filesystem: { rootdirectory: path.join(dir, "registry-data") }, delete: { enabled: true } },
      http: { addr: host },
    }),
  );
  const child: ChildProcess = spawn("docker-registry", ["serve", config], {
    env: { ...process.env, PATH: toolsPath() },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString("utf8")));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async () => {
    if (child.exitCode === null) child.kill("SIGTERM");
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
  };
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited: ${stderr}`);
    try {
      const res = await fetch(`http://${host}/v2/`, { signal: AbortSignal.timeout(1000) });
      if (res.status === 200) return { host, stop };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  await stop();
  throw new Error(`docker-registry did not answer on ${host}: ${stderr}`);
}

/**
 * Pushes a one-layer image whose layer holds `content` under `ref` with `crane append`, and
 * returns the digest crane reports. Different content, a different build (and digest).
 */
export function pushBuild(dir: string, ref: string, content: string): string {
  const work = fs.mkdtempSync(path.join(dir, "build-"));
  fs.writeFileSync(path.join(work, "build.txt"), content);
  execFileSync("tar", ["-cf", path.join(work, "layer.tar"), "-C", work, "build.txt"]);
  const env = { ...process.env, PATH: toolsPath() };
  execFileSync("crane", ["append", "-f", path.join(work, "layer.tar"), "-t", ref, "--insecure"], {
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  return execFileSync("crane", ["digest", ref, "--insecure"], { env, encoding: "utf8" }).trim();
}

/**
 * A token-auth front for the registry, as the distribution spec's token flow describes it:
 * 401 + `WWW-Authenticate: Bearer realm=…,service=…,scope=…` without a token; the realm hands
 * a token to Basic credentials `username:password`; requests with the token pass to the registry.
 */
export async function tokenFront(
  upstream: string,
  username: string,
  password: string,
): Promise<{ host: string; tokenRequests: string[]; close(): void }> {
  const token = "test-token-123";
  const tokenRequests: string[] = [];
  const server = http.createServer((req, res) => {
    const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    if (req.url?.startsWith("/token")) {
      tokenRequests.push(req.url);
      const expected = `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`;
      if (req.headers.authorization !== expected) {
        res.writeHead(401, { "content-type": "application/json" });
        res.end(JSON.stringify({ errors: [{ code: "UNAUTHORIZED", message: "authentication required" }] }));
        return;
      }
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ token, expires_in: 300 }));
      return;
    }
    if (req.headers.authorization !== `Bearer ${token}`) {
      const repo = /^\/v2\/(.+)\/manifests\//.exec(req.url ?? "")?.[1] ?? "";
      res.writeHead(401, {
        "www-authenticate": `Bearer realm="http://${host}/token",service="test-registry",scope="repository:${repo}:pull"`,
        "content-type": "application/json",
      });
      res.end(JSON.stringify({ errors: [{ code: "UNAUTHORIZED", message: "authentication required" }] }));
      return;
    }
    const proxied = http.request(
      `http://${upstream}${req.url}`,
      { method: req.method, headers: { accept: req.headers.accept ?? "" } },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    proxied.on("error", () => res.writeHead(502).end());
    proxied.end();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return {
    host: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    tokenRequests,
    close: () => server.close(),
  };
}
