/**
 * Benchmark: API calls and wall time to push a 50-key env-var set to 4, 20 and 100 Render services
 * (one `fleetgate:render:EnvVars` per service, created at once as the engine would, against the
 * Render double answering every request after 20 ms).
 *
 * Each service already holds the 50 keys with older values plus 2 keys set by hand, so every push
 * is a real change: per service one paginated read (a page and the empty page that ends it), one
 * PUT, one verify read (two pages again). Services run in parallel within the client-side rate
 * limit; the floor is the time the rate limit alone needs for that many requests.
 *
 *   npx ts-node --transpile-only bench/render-envvars.ts [--rps 10] [--latency 20]
 */
import type { HandlerContext } from "../provider/handler";
import { envVarsResource } from "../provider/render/envVars";
import { rateLimitFloorMs } from "../provider/render/ratelimit";
import { RenderDouble } from "../tests/support/render-double";

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

async function main() {
  const rps = arg("rps", 10);
  const latencyMs = arg("latency", 20);
  const key = "rnd_bench";
  process.env.RENDER_API_KEY = key;
  const render = await RenderDouble.start({ apiKey: key, latencyMs });
  const declared = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`KEY_${i}`, `value-${i}-new`]));
  console.log(
    `push of a 50-key set; double latency ${latencyMs} ms/request; client rate limit ${rps}/s (burst ${Math.round(rps)})`,
  );
  console.log("services  requests  reads(GET)  PUT  verify(GET)  per-service  wall ms  floor ms  wall/floor");
  for (const count of [4, 20, 100]) {
    const ids: Record<string, string> = {};
    const names = Array.from({ length: count }, (_, i) => `bench-${count}-${i}`);
    for (const name of names) {
      const id = render.createServiceByHand({
        type: "background_worker",
        name,
        ownerId: "tea-bench",
        image: { imagePath: "ghcr.io/acme/api:1.0.0" },
      }).id;
      ids[name] = id;
      for (const k of Object.keys(declared)) render.setEnvVar(id, k, "old");
      render.setEnvVar(id, "HAND_A", "a");
      render.setEnvVar(id, "HAND_B", "b");
    }
    render.resetRequests();
    const started = Date.now();
    const ctx: HandlerContext = {
      urn: "urn:pulumi:bench::fleetgate::fleetgate:render:EnvVars::bench",
      name: "bench",
      config: () => undefined,
      render: (i) => ({ baseUrl: i.baseUrl, apiKey: key, requestsPerSecond: i.requestsPerSecond }),
    };
    await Promise.all(
      names.map((n) =>
        envVarsResource.create(
          { serviceId: ids[n], serviceName: n, vars: declared, baseUrl: render.url, requestsPerSecond: rps },
          ctx,
        ),
      ),
    );
    const wall = Date.now() - started;
    // Requests are split into the read before the PUT and the verify read after it, per service.
    let reads = 0;
    let verifies = 0;
    const putSeen = new Set<string>();
    for (const r of render.requests) {
      const id = r.path.split("/")[2];
      if (r.method === "PUT") putSeen.add(id);
      else if (r.method === "GET" && putSeen.has(id)) verifies++;
      else if (r.method === "GET") reads++;
    }
    const total = render.requests.length;
    const puts = render.count("PUT");
    const floor = rateLimitFloorMs(total, rps, Math.round(rps));
    for (const n of names) {
      if (render.envOf(ids[n]).KEY_0 !== "value-0-new") throw new Error(`${n} did not get the new set`);
    }
    console.log(
      [
        String(count).padStart(8),
        String(total).padStart(9),
        String(reads).padStart(11),
        String(puts).padStart(4),
        String(verifies).padStart(12),
        `${(reads / count).toFixed(0)}+${(puts / count).toFixed(0)}+${(verifies / count).toFixed(0)}`.padStart(
          12,
        ),
        String(wall).padStart(8),
        String(Math.round(floor)).padStart(9),
        (floor ? wall / floor : 0).toFixed(2).padStart(11),
      ].join(" "),
    );
  }
  await render.close();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
