/**
 * A small OCI distribution client with one job: resolve a tag to the digest of the manifest the
 * registry serves for it (`HEAD /v2/<name>/manifests/<tag>`, `Docker-Content-Digest`), so a
 * stack deploys `repo@sha256:…` and a re-pushed tag cannot change what runs.
 *
 * Auth follows the distribution spec's token flow: a 401 with `WWW-Authenticate: Bearer
 * realm=…,service=…,scope=…` is answered by fetching a token from the realm (anonymously, or
 * with the registry's credentials as Basic auth) and retrying. Docker Hub (`docker.io`, served
 * by registry-1.docker.io) and GHCR use this flow; a `Basic` challenge is answered directly.
 * Only reads are made, so 429, 5xx and network errors are retried (bounded).
 */
import { createHash } from "crypto";
import { parseImageRef } from "../../config/image";
import { parseChallenges } from "./challenge";

/** Every manifest type a tag may point at; a registry must not convert a multi-arch index. */
export const MANIFEST_ACCEPT = [
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.docker.distribution.manifest.v2+json",
].join(", ");

const DIGEST = /^sha256:[a-f0-9]{64}$/;

export interface RegistryCredential {
  /** Registry host as written in image references (`ghcr.io`, `docker.io`, `127.0.0.1:5000`). */
  host: string;
  username: string;
  password: string;
}

export interface RegistryClientOptions {
  credentials?: RegistryCredential[];
  /** Hosts reached over plain HTTP (a registry on loopback in tests); all others use HTTPS. */
  insecureHosts?: string[];
  /** Per request; default 15 s. */
  timeoutMs?: number;
  /** Attempts for a retryable failure (429, 5xx, network); default 3. */
  attempts?: number;
}

export interface ResolvedImage {
  /** The reference as given. */
  reference: string;
  /** `sha256:<64 hex>` of the manifest the tag points at. */
  digest: string;
  /** `<registry>/<repository>@<digest>`: what a platform should deploy. */
  image: string;
  mediaType?: string;
}

export class RegistryError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = "RegistryError";
  }
}

/** The host the HTTP API of a registry lives on (Docker Hub's API is not at docker.io). */
export function apiHost(registry: string): string {
  return registry === "docker.io" || registry === "index.docker.io" ? "registry-1.docker.io" : registry;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** The error body of the distribution spec: `{"errors":[{"code","message"}]}`, as one line. */
async function errorText(res: Response): Promise<string> {
  const text = await res.text().catch(() => "");
  try {
    const body = JSON.parse(text) as { errors?: { code?: string; message?: string }[] };
    if (body.errors?.length) return body.errors.map((e) => `${e.code ?? "?"}: ${e.message ?? ""}`).join("; ");
  } catch {
    // not JSON: fall through
  }
  return text.slice(0, 200);
}

export class RegistryClient {
  private readonly tokens = new Map<string, string>();

  constructor(private readonly opts: RegistryClientOptions = {}) {}

  /**
   * Resolves `ref` (`[registry/]repo:tag`, or already `…@sha256:…`) to the digest the registry
   * serves for it. A reference that already carries a digest is checked to exist.
   */
  async resolve(ref: string): Promise<ResolvedImage> {
    const r = parseImageRef(ref);
    const target = r.digest ?? r.tag;
    if (!target) throw new RegistryError(`image "${ref}" has neither a tag nor a digest; write repo:1.4.2`);
    const path = `/v2/${r.repository}/manifests/${target}`;
    let res = await this.request(r.registry, r.repository, "HEAD", path, ref);
    let digest = res.headers.get("docker-content-digest") ?? undefined;
    let mediaType = res.headers.get("content-type") ?? undefined;
    if (!digest || !DIGEST.test(digest)) {
      // Some registries answer HEAD without the header: the digest is the sha256 of the body.
      res = await this.request(r.registry, r.repository, "GET", path, ref);
      const body = Buffer.from(await res.arrayBuffer());
      const computed = `sha256:${createHash("sha256").update(body).digest("hex")}`;
      const claimed = res.headers.get("docker-content-digest");
      if (claimed && claimed !== computed) {
        throw new RegistryError(
          `image "${ref}": the registry claims digest ${claimed} but the manifest it sent hashes to ${computed}`,
        );
      }
      digest = computed;
      mediaType = res.headers.get("content-type") ?? mediaType;
    }
    if (r.digest && digest !== r.digest) {
      throw new RegistryError(`image "${ref}": the registry serves ${digest} for this digest reference`);
    }
    return { reference: ref, digest, image: `${r.registry}/${r.repository}@${digest}`, mediaType };
  }

  private baseUrl(registry: string): string {
    const insecure = (this.opts.insecureHosts ?? []).includes(registry);
    return `${insecure ? "http" : "https"}://${apiHost(registry)}`;
  }

  private credential(registry: string): RegistryCredential | undefined {
    return this.opts.credentials?.find((c) => c.host === registry || apiHost(c.host) === apiHost(registry));
  }

  private async fetchWithRetry(url: string, init: RequestInit, what: string): Promise<Response> {
    const attempts = this.opts.attempts ?? 3;
    let last: unknown;
    for (let i = 0; i < attempts; i++) {
      if (i > 0) await sleep(250 * 2 ** (i - 1));
      try {
        const res = await fetch(url, {
          ...init,
          redirect: "follow",
          signal: AbortSignal.timeout(this.opts.timeoutMs ?? 15_000),
        });
        if (res.status === 429 || res.status >= 500) {
          last = new RegistryError(`${what}: ${res.status} ${await errorText(res)}`, res.status);
          continue;
        }
        return res;
      } catch (e) {
        last = e;
      }
    }
    if (last instanceof RegistryError) throw last;
    throw new RegistryError(
      `${what}: ${(last as Error)?.message ?? String(last)} (after ${attempts} attempts)`,
    );
  }

  private async request(
    registry: string,
    repository: string,
    method: "HEAD" | "GET",
    path: string,
    ref: string,
  ): Promise<Response> {
    const url = `${this.baseUrl(registry)}${path}`;
    const what = `image "${ref}": ${method} ${url}`;
    const headers: Record<string, string> = { accept: MANIFEST_ACCEPT };
    const cached = this.tokens.get(`${registry}/${repository}`);
    if (cached) headers.authorization = cached;
    let res = await this.fetchWithRetry(url, { method, headers }, what);
    if (res.status === 401) {
      await res.arrayBuffer().catch(() => undefined);
      const auth = await this.authorize(registry, repository, res.headers.get("www-authenticate"), ref);
      this.tokens.set(`${registry}/${repository}`, auth);
      res = await this.fetchWithRetry(url, { method, headers: { ...headers, authorization: auth } }, what);
    }
    if (res.ok) return res;
    const detail = method === "HEAD" ? "" : ` (${await errorText(res)})`;
    if (res.status === 404) {
      throw new RegistryError(
        `image "${ref}" was not found in ${registry}/${repository}${detail}; push it first or fix the tag`,
        404,
      );
    }
    if (res.status === 401 || res.status === 403) {
      throw new RegistryError(
        `image "${ref}": ${registry} refused access (${res.status})${detail}; ` +
          `set credentials for ${registry} under release.registries (a token with read access to ${repository})`,
        res.status,
      );
    }
    throw new RegistryError(`${what}: ${res.status}${detail}`, res.status);
  }

  /** Answers a 401 challenge: a bearer token from the realm, or Basic credentials. */
  private async authorize(
    registry: string,
    repository: string,
    header: string | null,
    ref: string,
  ): Promise<string> {
    const cred = this.credential(registry);
    const basic = cred
      ? `Basic ${Buffer.from(`${cred.username}:${cred.password}`).toString("base64")}`
      : undefined;
    const challenges = parseChallenges(header);
    const bearer = challenges.find((c) => c.scheme === "bearer");
    if (!bearer) {
      if (challenges.some((c) => c.scheme === "basic") && basic) return basic;
      throw new RegistryError(
        `image "${ref}": ${registry} asks for credentials (${header ?? "no WWW-Authenticate header"}); ` +
          `set them under release.registries`,
        401,
      );
    }
    const realm = bearer.params.realm;
    if (!realm || !/^https?:\/\//.test(realm)) {
      throw new RegistryError(`image "${ref}": ${registry} sent a bearer challenge without a usable realm`);
    }
    const url = new URL(realm);
    if (bearer.params.service) url.searchParams.set("service", bearer.params.service);
    url.searchParams.set("scope", bearer.params.scope ?? `repository:${repository}:pull`);
    const res = await this.fetchWithRetry(
      url.toString(),
      { method: "GET", headers: basic ? { authorization: basic } : {} },
      `image "${ref}": token from ${url.origin}${url.pathname}`,
    );
    if (!res.ok) {
      throw new RegistryError(
        `image "${ref}": the token service of ${registry} answered ${res.status} (${await errorText(res)}); ` +
          `check the credentials for ${registry} under release.registries`,
        res.status,
      );
    }
    const body = (await res.json()) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    if (!token) throw new RegistryError(`image "${ref}": the token service of ${registry} returned no token`);
    return `Bearer ${token}`;
  }
}
