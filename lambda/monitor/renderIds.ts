/**
 * Render service ids for the monitor's `log` and `liveness` checks. The plan is built from the
 * stack config, before any service exists, so it names the target service and leaves the id
 * empty; each run asks Render for it with `GET /v1/services?name=<name>&ownerId=<owner>` (an
 * envelope list `[{ service, cursor }]`), with the platform API key the check carries.
 */
import { httpRequest } from "../../lib/checks/http";
import type { ResolvedCheck } from "../../lib/checks/types";

const LOOKUP_TIMEOUT_MS = 10_000;

async function serviceId(baseUrl: string, ownerId: string, name: string, apiKey: string): Promise<string> {
  const q = new URLSearchParams({ name, ownerId, limit: "20" });
  const res = await httpRequest({
    url: `${baseUrl.replace(/\/+$/, "")}/services?${q}`,
    headers: { authorization: `Bearer ${apiKey}`, accept: "application/json" },
    timeoutMs: LOOKUP_TIMEOUT_MS,
  });
  let body: unknown;
  try {
    body = JSON.parse(res.body);
  } catch {
    throw new Error(
      `Render answered ${res.status} to the lookup of service "${name}" with a body that is not JSON`,
    );
  }
  if (res.status !== 200) {
    const message = (body as { message?: string } | null)?.message ?? "no message";
    throw new Error(`Render answered ${res.status} to the lookup of service "${name}": ${message}`);
  }
  const found = (Array.isArray(body) ? body : [])
    .map((e) => (e as { service?: { id?: string; name?: string } }).service)
    .find((s) => s?.name === name && typeof s.id === "string");
  if (!found)
    throw new Error(`Render has no service named "${name}" in workspace ${ownerId}; deploy the stack first`);
  return found.id!;
}

/** The checks with every empty Render service id filled in (one lookup per service name). */
export async function withRenderServiceIds(
  checks: ResolvedCheck[],
  ownerId: string | undefined,
): Promise<ResolvedCheck[]> {
  const ids = new Map<string, Promise<string>>();
  const idOf = (check: ResolvedCheck, baseUrl: string): Promise<string> => {
    if (!ownerId) throw new Error(`check "${check.name}": the plan names no Render owner id`);
    if (!check.apiKey)
      throw new Error(`check "${check.name}": no Render API key to look up "${check.target}"`);
    const key = `${baseUrl} ${check.target}`;
    if (!ids.has(key)) ids.set(key, serviceId(baseUrl, ownerId, check.target, check.apiKey));
    return ids.get(key)!;
  };
  return Promise.all(
    checks.map(async (c) => {
      if (c.logSource?.kind === "render" && !c.logSource.resourceId) {
        return { ...c, logSource: { ...c.logSource, resourceId: await idOf(c, c.logSource.baseUrl) } };
      }
      if (c.livenessSource?.kind === "render" && !c.livenessSource.serviceId) {
        return {
          ...c,
          livenessSource: { ...c.livenessSource, serviceId: await idOf(c, c.livenessSource.baseUrl) },
        };
      }
      return c;
    }),
  );
}
