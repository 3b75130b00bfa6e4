/**
 * Test stacks of the demo fleet: Pulumi.local.yaml rewritten to free loopback ports, a temp
 * state dir and a temp database, run as a `test-*` stack of this project through the engine.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { parse, stringify } from "yaml";
import { engineEnv, REPO_ROOT, runPulumi } from "../support/engine";

/** A port nothing listens on right now (the kernel's pick for port 0). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * A free port for a service the engine starts later: picked at random below the kernel's
 * ephemeral range (32768+), so client sockets and port-0 servers of other tests cannot take
 * it between now and the start.
 */
export async function freeServicePort(): Promise<number> {
  // Test areas run in parallel processes: a port one of them picked may not be bound yet when
  // another checks it. Each pick is reserved across processes with an exclusive file; a
  // reservation older than the longest suite is taken back.
  const reserved = path.join(os.tmpdir(), "fleetgate-test-ports");
  fs.mkdirSync(reserved, { recursive: true });
  for (let i = 0; i < 100; i++) {
    const port = 20000 + Math.floor(Math.random() * 12000);
    const file = path.join(reserved, String(port));
    try {
      fs.writeFileSync(file, String(process.pid), { flag: "wx" });
    } catch {
      try {
        if (Date.now() - fs.statSync(file).mtimeMs > 60 * 60_000) fs.rmSync(file, { force: true });
      } catch {
        // Another process took it back first: try another port.
      }
      continue;
    }
    if (await canListen(port)) return port;
  }
  throw new Error("no free port found in 20000-31999");
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once("error", () => resolve(false));
    srv.listen(port, "127.0.0.1", () => srv.close(() => resolve(true)));
  });
}

export async function portInUse(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: "127.0.0.1", port });
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

/** Is a process with this pid alive (and not a zombie)? */
export function processAlive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0];
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

type Raw = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface DemoStack {
  stack: string;
  dir: string;
  stateDir: string;
  ports: Record<string, number>;
  env: Record<string, string>;
  /** The stack config as written (edit it and call `write()` to change the stack). */
  config: Raw;
  write(): void;
  pulumi(args: string[]): { code: number; output: string };
  up(): { code: number; output: string };
  outputs(): Raw;
  /** The recorded pid of each running service (from the local state dir). */
  pids(): Record<string, number>;
  /** The pid of each monitoring server (prometheus, alertmanager) recorded in the stack's state. */
  daemonPids(): Record<string, number>;
  /** Destroys the stack; once that succeeded, removes the stack and its config file. */
  destroy(): { code: number; output: string };
}

/** The demo fleet of Pulumi.local.yaml on fresh ports, a temp state dir and database. */
export async function demoStack(name: string, dir: string): Promise<DemoStack> {
  // Unique per run: the stack file lives in the shared project dir, and runs may overlap.
  const stack = `test-${name}-${path.basename(dir).slice(-6).toLowerCase()}`;
  const file = path.join(REPO_ROOT, `Pulumi.${stack}.yaml`);
  const stateDir = path.join(dir, "local");
  const local = parse(fs.readFileSync(path.join(REPO_ROOT, "Pulumi.local.yaml"), "utf8")) as Raw;
  const config = local.config as Raw;
  const fleet = config["fleetgate:fleet"];
  const ports: Record<string, number> = {};
  for (const s of fleet.services) {
    ports[s.name] = await freeServicePort();
    s.local.port = ports[s.name];
  }
  const database = path.join(dir, "demo.duckdb");
  config["fleetgate:platform"] = { kind: "local", stateDir };
  // Rewrite every loopback URL and the database path of the env sets to this stack's.
  const byOldPort = new Map(
    (parse(fs.readFileSync(path.join(REPO_ROOT, "Pulumi.local.yaml"), "utf8")) as Raw).config[
      "fleetgate:fleet"
    ].services.map((s: Raw) => [String(s.local.port), ports[s.name]]),
  );
  for (const set of fleet.envSets) {
    for (const [k, v] of Object.entries(set.vars)) {
      if (typeof v !== "string") continue;
      if (k === "DATABASE_PATH") set.vars[k] = database;
      else set.vars[k] = v.replace(/127\.0\.0\.1:(\d+)/, (m, p) => `127.0.0.1:${byOldPort.get(p) ?? p}`);
    }
  }
  if (config["fleetgate:gates"]?.integrity) config["fleetgate:gates"].integrity.connection = database;
  // The stack's own Prometheus and Alertmanager: free ports too, so parallel stacks never collide.
  const monitoring = config["fleetgate:alarms"]?.localMonitoring;
  if (monitoring) {
    monitoring.prometheusPort = await freeServicePort();
    monitoring.alertmanagerPort = await freeServicePort();
  }
  // Type checking is tsc's job (scripts/test.sh); the engine only transpiles, like up-local.sh.
  const env = engineEnv(dir, { PULUMI_NODEJS_TRANSPILE_ONLY: "true" });
  const pulumi = (args: string[]) => runPulumi(args, { cwd: REPO_ROOT, env, timeoutMs: 240_000 });
  const s: DemoStack = {
    stack,
    dir,
    stateDir,
    ports,
    env,
    config,
    write: () => {
      // Keep the encryption salt the engine added when the stack was created.
      const current = fs.existsSync(file) ? (parse(fs.readFileSync(file, "utf8")) as Raw) : {};
      fs.writeFileSync(file, stringify({ ...current, config }));
    },
    pulumi,
    up: () => pulumi(["up", "--stack", stack, "--yes", "--skip-preview"]),
    outputs: () => JSON.parse(pulumi(["stack", "output", "--stack", stack, "--json"]).output),
    pids: () => {
      const out: Record<string, number> = {};
      for (const svc of Object.keys(ports)) {
        const rec = path.join(stateDir, "services", svc, "process.json");
        if (fs.existsSync(rec)) out[svc] = JSON.parse(fs.readFileSync(rec, "utf8")).pid;
      }
      return out;
    },
    daemonPids: () => {
      const state = path.join(dir, "backend", ".pulumi", "stacks", "fleetgate", `${stack}.json`);
      if (!fs.existsSync(state)) return {};
      const resources: Raw[] = JSON.parse(fs.readFileSync(state, "utf8")).checkpoint.latest?.resources ?? [];
      const out: Record<string, number> = {};
      for (const r of resources)
        if (r.type === "pulumi-nodejs:dynamic/monitoring:Daemon" && r.outputs?.pid)
          out[r.outputs.name] = r.outputs.pid;
      return out;
    },
    destroy: () => {
      const r = pulumi(["destroy", "--stack", stack, "--yes", "--skip-preview"]);
      // A failed destroy keeps the stack (and its process records) so it can be destroyed later.
      if (r.code === 0) {
        pulumi(["stack", "rm", "--stack", stack, "--yes"]);
        fs.rmSync(file, { force: true });
      }
      return r;
    },
  };
  s.write();
  // As up-local.sh does: the integrity gate snapshots the database before the worker creates it.
  execFileSync(process.execPath, [path.join(REPO_ROOT, "examples/demo/worker/init-db.js"), database]);
  const created = pulumi(["stack", "init", stack]);
  if (created.code !== 0) throw new Error(`cannot create stack ${stack}:\n${created.output}`);
  return s;
}
