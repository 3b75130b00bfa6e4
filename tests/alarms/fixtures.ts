/**
 * Stack configs for the alarms tests: the shipped dev/prod stacks (their secrets counted as set)
 * and edits of them.
 */
import * as http from "http";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { validateStackConfig, ValidationResult } from "../../config/load";
import { StackConfig } from "../../config/schema";
import { readStackFile } from "../../config/stack-file";
import { SecretResolver } from "../../components/secrets";
import { REPO_ROOT } from "../support/engine";

/** Every `{ secret: key }` the raw config references. */
export function referencedSecrets(value: unknown): string[] {
  const found = new Set<string>();
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === "object") {
      if ("secret" in v && typeof (v as { secret: unknown }).secret === "string") {
        found.add((v as { secret: string }).secret);
      }
      Object.values(v).forEach(walk);
    }
  };
  walk(value);
  return [...found];
}

/** The raw `fleetgate:*` config of a shipped stack, deep-copied so tests may edit it. */
export function rawStack(stack: "dev" | "prod"): Record<string, unknown> {
  const { raw } = readStackFile(path.join(REPO_ROOT, `Pulumi.${stack}.yaml`));
  return structuredClone(raw);
}

export function validate(raw: Record<string, unknown>): ValidationResult {
  return validateStackConfig(raw, { secretKeys: new Set(referencedSecrets(raw)) });
}

export function stackConfig(
  stack: "dev" | "prod",
  edit?: (raw: Record<string, unknown>) => void,
): StackConfig {
  const raw = rawStack(stack);
  edit?.(raw);
  const r = validate(raw);
  if (!r.ok) throw new Error(r.issues.map((i) => `${i.path}: ${i.message}`).join("\n"));
  return r.config;
}

/** A secret resolver that needs no stack config: `{ secret: k }` → secret "value-of-k". */
export const fakeSecrets: SecretResolver = {
  resolve: (ref) => pulumi.secret("secret" in ref ? `value-of-${ref.secret}` : `generated-${ref.generated}`),
  value: (v) => (typeof v === "string" ? pulumi.output(v) : fakeSecrets.resolve(v)),
};

/** The smoke API key the stand-in fleet accepts (the monitor tests' value of the key). */
export const FLEET_API_KEY = "value-of-smokeApiKey";

/** A tiny stand-in fleet: refapp-api (health + authenticated /v1/me) and refapp-dashboard. */
export function startFleet(state: { healthy: boolean }): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    if (req.url === "/v1/health") {
      res.writeHead(state.healthy ? 200 : 503, { "content-type": "application/json" });
      res.end(JSON.stringify({ status: state.healthy ? "ok" : "degraded" }));
    } else if (req.url === "/v1/me") {
      const ok = req.headers.authorization === `Bearer ${FLEET_API_KEY}`;
      res.writeHead(ok ? 200 : 401, { "content-type": "application/json" });
      res.end(JSON.stringify(ok ? { id: "u1" } : { message: "bad key" }));
    } else if (req.url === "/") {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      res.end("<!doctype html><html><head><title>Dashboard</title></head><body></body></html>");
    } else {
      res.writeHead(404).end();
    }
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}
