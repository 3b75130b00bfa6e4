/**
 * Benchmark: time and peak memory to evaluate the program under mocks for fleets of 4, 40 and
 * 400 services (or the counts given as arguments), next to the same number of raw Pulumi
 * resources.
 *
 * Each measurement runs in its own child process (a fresh Pulumi runtime, a clean peak-RSS
 * figure), started the way this process was (ts-node or compiled JavaScript), so both sides of a
 * ratio run in the same mode. Two baselines, both with exactly as many custom resources as the
 * Fleet registered (counted by the mocks):
 * - "raw": plain resources with two properties each (the issue 14 goal compares against these);
 * - "shaped": plain resources with the same inputs as the Fleet's resources (recorded by the
 *   mocks), so "fleet / shaped" is what the Fleet costs beyond the SDK's per-property work.
 *
 *   npx ts-node --transpile-only bench/fleet-mocks.ts [services…]
 *   bash scripts/build-program.sh && node dist/bench/fleet-mocks.js [services…]
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";

type Mode = "fleet" | "raw" | "shaped";

interface Figure {
  mode: Mode;
  services: number;
  resources: number;
  /** Promises the SDK tracked (each one takes a stack trace: most of the per-property cost). */
  promises: number;
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

/** The inputs of every resource the Fleet registered, in order (the "shaped" baseline's props). */
type Shape = Record<string, unknown>[];

async function child(mode: Mode, services: number, resources: number, shapeFile: string): Promise<void> {
  const promises = countTrackedPromises();
  let registered = 0;
  const shape: Shape = [];
  const pending: Promise<unknown>[] = [];
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        registered++;
        if (mode === "fleet") shape.push(args.inputs);
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
    const shaped: Shape = mode === "shaped" ? JSON.parse(fs.readFileSync(shapeFile, "utf8")) : [];
    for (let i = 0; i < resources; i++) {
      const props = mode === "shaped" ? shaped[i] : { name: `raw-${i}`, image: `ghcr.io/bench/raw:1.0.${i}` };
      pending.push(outputValue(new Raw(`raw-${i}`, props).id));
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
  if (mode === "fleet") fs.writeFileSync(shapeFile, JSON.stringify(shape));
  const figure: Figure = {
    mode,
    services,
    resources: registered,
    promises: promises(),
    loadMs,
    ms,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
  };
  process.stdout.write(JSON.stringify(figure));
}

/**
 * Counts the SDK's `debuggablePromise` calls (an internal module: it stamps `new Error().stack` on
 * every promise it tracks). The wrapper is installed for every mode alike.
 */
function countTrackedPromises(): () => number {
  const debuggable = require("@pulumi/pulumi/runtime/debuggable");
  const original = debuggable.debuggablePromise;
  let count = 0;
  debuggable.debuggablePromise = function (this: unknown, ...a: unknown[]) {
    count++;
    return original.apply(this, a);
  };
  return () => count;
}

function outputValue<T>(o: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => o.apply(resolve));
}

function measure(mode: Mode, services: number, resources: number, shapeFile: string): Figure {
  const out = execFileSync(
    process.execPath,
    [...process.execArgv, __filename, "--child", mode, String(services), String(resources), shapeFile],
    { encoding: "utf8", maxBuffer: 16 * 1024 * 1024 },
  );
  return JSON.parse(out.trim().split("\n").pop()!);
}

/** Runs the three measurements for one fleet size (the shape file passes from fleet to shaped). */
function measureSize(services: number): { fleet: Figure; raw: Figure; shaped: Figure } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fleet-mocks-"));
  try {
    const shapeFile = path.join(dir, "shape.json");
    const fleet = measure("fleet", services, 0, shapeFile);
    const raw = measure("raw", services, fleet.resources, shapeFile);
    const shaped = measure("shaped", services, fleet.resources, shapeFile);
    return { fleet, raw, shaped };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function main() {
  const sizes = process.argv.slice(2).map(Number);
  const runMode = process.execArgv.some((a) => a.includes("ts-node")) ? "ts-node" : "compiled JavaScript";
  const cols: [string, number][] = [
    ["services", 8],
    ["resources", 9],
    ["promises f/r/s", 20],
    ["load ms", 7],
    ["fleet ms", 8],
    ["raw ms", 6],
    ["shaped ms", 9],
    ["f/raw", 5],
    ["f/shaped", 8],
    ["fleet MiB", 9],
    ["raw MiB", 7],
    ["shaped MiB", 10],
    ["f/raw", 5],
    ["f/shaped", 8],
  ];
  const rows = [cols.map(([h, w]) => h.padStart(w)).join("  ")];
  for (const services of sizes.length ? sizes : [4, 40, 400]) {
    const { fleet, raw, shaped } = measureSize(services);
    const cells = [
      String(services),
      String(fleet.resources),
      `${fleet.promises}/${raw.promises}/${shaped.promises}`,
      fleet.loadMs.toFixed(0),
      fleet.ms.toFixed(0),
      raw.ms.toFixed(0),
      shaped.ms.toFixed(0),
      (fleet.ms / raw.ms).toFixed(2),
      (fleet.ms / shaped.ms).toFixed(2),
      fleet.peakRssMiB.toFixed(0),
      raw.peakRssMiB.toFixed(0),
      shaped.peakRssMiB.toFixed(0),
      (fleet.peakRssMiB / raw.peakRssMiB).toFixed(2),
      (fleet.peakRssMiB / shaped.peakRssMiB).toFixed(2),
    ];
    rows.push(cells.map((c, k) => c.padStart(cols[k][1])).join("  "));
  }
  const load = os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");
  console.log(
    `Fleet under mocks vs as many raw / same-shaped resources (node ${process.version}, ${runMode}, ` +
      `${os.cpus().length} CPUs, load average ${load})`,
  );
  console.log(rows.join("\n"));
}

const i = process.argv.indexOf("--child");
if (i >= 0) {
  child(
    process.argv[i + 1] as Mode,
    Number(process.argv[i + 2]),
    Number(process.argv[i + 3]),
    process.argv[i + 4],
  ).catch((e) => {
    console.error(e);
    process.exit(1);
  });
} else {
  main();
}
