/**
 * The valid base config the bad-config tests mutate: one mistake (or a few) per case.
 */
export type Raw = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export const SECRETS = new Set(["databaseUrl", "apiToken"]);

export function base(): Raw {
  return {
    platform: { kind: "render", ownerId: "tea-abc123" },
    fleet: {
      name: "shop",
      environment: "dev",
      services: [
        { name: "shop-api", type: "web", image: "ghcr.io/acme/api:1.4.2", healthCheckPath: "/health" },
        { name: "shop-worker", type: "worker", image: "ghcr.io/acme/worker@sha256:" + "a".repeat(64) },
        { name: "shop-cron", type: "cron", image: "ghcr.io/acme/worker:v2.0.1", schedule: "0 * * * *" },
      ],
      envSets: [
        {
          name: "backend",
          services: ["shop-api", "shop-worker"],
          vars: { NODE_ENV: "production", DATABASE_URL: { secret: "databaseUrl" } },
        },
      ],
    },
    gates: {
      smoke: { checks: [{ name: "api-health", kind: "http", target: "shop-api", path: "/health" }] },
      integrity: {
        engine: "postgres",
        connection: { secret: "databaseUrl" },
        criticalTables: ["public.orders"],
      },
    },
  };
}
