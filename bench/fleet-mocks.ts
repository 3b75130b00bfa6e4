/**
 * Benchmark: time and peak memory to evaluate the program under mocks for fleets of 4, 40 and
 * 400 services, next to the same number of raw Pulumi resources.
 *
 * Each measurement runs in its own child process (a fresh Pulumi runtime, a clean peak-RSS
 * figure). "raw" registers exactly as many plain custom resources as the Fleet registered
 * (counted by the mocks), so the ratio is the Fleet's own overhead per registered resource.
 *
 *   npx ts-node --transpile-only bench/fleet-mocks.ts
 */
import { execFileSync } from "child_process";
import * as pulumi from "@pulumi/pulumi";

interface Figure {
  mode: "fleet" | "raw";
  services: number;
  resources: number;
  loadMs: number;
  ms: number;
  peakRssMiB: number;
}

function fleetConfig(services: number) {
  const names = Array.from({ length: services }, (_, i) => `svc-${i}`);
  return {
    platform: { kind: "render", ownerId: "tea-bench", baseUrl: "http://127.0.0.1:1/v1" },
    fleet: {
      name: "bench",
      environment: "dev",
      services: names.map((name, i) => ({
        name,
        type: i % 4 === 0 ? "web" : "worker",
        image: `ghcr.io/bench/${name}:1.0.${i}`,
        ...(i % 4 === 0 ? { healthCheckPath: "/health" } : {}),
      })),
      envSets: [{ name: "shared", services: names, vars: { NODE_ENV: "production", LOG_LEVEL: "info" } }],
    },
    gates: {
      smoke: {
        checks: names
          .filter((_, i) => i % 4 === 0)
          .map((name) => ({ name: `${name}-health`, kind: "http", target: name, path: "/health" })),
      },
    },
  };
}

async function child(mode: "fleet" | "raw", services: number, resources: number): Promise<void> {
  let registered = 0;
  const pending: Promise<unknown>[] = [];
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        registered++;
        // Render answers with the service's public URL; the smoke suite needs it.
        const url = args.type.endsWith("render:Service") ? { url: `https://${args.name}.onrender.com` } : {};
        return { id: `${args.name}-id`, state: { ...args.inputs, ...url } };
      },
      call: () => ({}),
    },
    "fleetgate",
    "bench",
    false,
  );
  // Module loading (the provider SDKs) is a one-off cost of any program, reported apart.
  const loadStarted = process.hrtime.bigint();
  const { parseStackConfig } = await import("../config/load");
  const { Fleet } = await import("../components/fleet");
  const loadMs = mode === "fleet" ? Number(process.hrtime.bigint() - loadStarted) / 1e6 : 0;
  const started = process.hrtime.bigint();
  if (mode === "fleet") {
    const config = parseStackConfig(fleetConfig(services), { secretKeys: new Set() });
    const fleet = new Fleet("bench", { config });
    pending.push(outputValue(fleet.serviceUrls), outputValue(fleet.foreignKeys));
  } else {
    class Raw extends pulumi.CustomResource {
      constructor(name: string, props: Record<string, unknown>) {
        super("bench:index:Raw", name, props);
      }
    }
    for (let i = 0; i < resources; i++) {
      pending.push(
        outputValue(new Raw(`raw-${i}`, { name: `raw-${i}`, image: `ghcr.io/bench/raw:1.0.${i}` }).id),
      );
    }
  }
  await Promise.all(pending);
  // Registrations finish asynchronously after the outputs we awaited; wait until they settle.
  let last = -1;
  while (registered !== last) {
    last = registered;
    await new Promise((r) => setTimeout(r, 20));
  }
  const ms = Number(process.hrtime.bigint() - started) / 1e6 - 20;
  const figure: Figure = {
    mode,
    services,
    resources: registered,
    loadMs,
    ms,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
  };
  process.stdout.write(JSON.stringify(figure));
}

function outputValue<T>(o: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => o.apply(resolve));
}

function measure(mode: "fleet" | "raw", services: number, resources = 0): Figure {
  const out = execFileSync(
    process.execPath,
    [...process.execArgv, __filename, "--child", mode, String(services), String(resources)],
    { encoding: "utf8", maxBuffer: 16 * 1024 * 1024 },
  );
  return JSON.parse(out.trim().split("\n").pop()!);
}

function main() {
  const rows: string[] = [];
  rows.push(
    "services  resources  fleet load ms  fleet ms  raw ms  time ratio  fleet peak MiB  raw peak MiB  memory ratio",
  );
  for (const services of [4, 40, 400]) {
    const fleet = measure("fleet", services);
    const raw = measure("raw", services, fleet.resources);
    rows.push(
      [
        String(services).padStart(8),
        String(fleet.resources).padStart(10),
        fleet.loadMs.toFixed(0).padStart(14),
        fleet.ms.toFixed(0).padStart(9),
        raw.ms.toFixed(0).padStart(7),
        (fleet.ms / raw.ms).toFixed(2).padStart(11),
        fleet.peakRssMiB.toFixed(0).padStart(15),
        raw.peakRssMiB.toFixed(0).padStart(13),
        (fleet.peakRssMiB / raw.peakRssMiB).toFixed(2).padStart(13),
      ].join(" "),
    );
  }
  console.log(`Fleet under mocks vs the same number of raw resources (node ${process.version})`);
  console.log(rows.join("\n"));
}

const i = process.argv.indexOf("--child");
if (i >= 0) {
  child(
    process.argv[i + 1] as "fleet" | "raw",
    Number(process.argv[i + 2]),
    Number(process.argv[i + 3]),
  ).catch((e) => {
    console.error(e);
    process.exit(1);
  });
} else {
  main();
}
