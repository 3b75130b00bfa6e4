/**
 * Prints the short summary of the local stack after `scripts/up-local.sh`: service URLs and
 * their process state, the smoke checks, and the database tables before and after the deploy.
 * Reads the stack's checkpoint (`pulumi stack export`), so it needs no program outputs beyond
 * what the resources already record; secret outputs stay encrypted and are never printed.
 * Usage: npx ts-node --transpile-only scripts/local-summary.ts [stack]   (default: local)
 */
import { execFileSync } from "child_process";
import * as path from "path";
import { formatResultTable, summarizeResults } from "../lib/checks/run";
import type { CheckResult } from "../lib/checks/types";

interface StateResource {
  type: string;
  urn: string;
  outputs?: Record<string, unknown>;
}

interface Snapshot {
  tables: string[];
  views: string[];
  rowCounts: Record<string, number>;
  takenAt: string;
}

function pulumiJson(args: string[]): unknown {
  return JSON.parse(
    execFileSync("pulumi", [...args, "--non-interactive"], { encoding: "utf8", maxBuffer: 64 << 20 }),
  );
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + " ".repeat(n - s.length);
}

function servicesSection(resources: StateResource[]): string[] {
  const services = resources
    .filter((r) => r.type === "pulumi-nodejs:dynamic/local:Service")
    .sort((a, b) => String(a.outputs?.name).localeCompare(String(b.outputs?.name)));
  const lines = ["Services:"];
  for (const r of services) {
    const o = r.outputs ?? {};
    const state =
      o.status === "live" ? `live (deploy ${o.deployId}, pid ${o.pid})` : `${o.status}: ${o.reason}`;
    lines.push(
      `  ${pad(String(o.name), 15)} ${pad(String(o.url), 24)} ${pad(String(o.serviceType), 8)} ${state}`,
    );
  }
  return lines;
}

function smokeSection(resources: StateResource[]): string[] {
  // One suite per deploy wave plus the final one (docs/waves.md): report them as one table.
  const suites = resources
    .filter((r) => r.type === "pulumi-nodejs:dynamic/checks:SmokeSuite")
    .map((r) => r.outputs ?? {});
  if (suites.length === 0) return ["Smoke checks: none configured (gates.smoke)"];
  const results = suites.flatMap((s) => (Array.isArray(s.results) ? (s.results as CheckResult[]) : []));
  const ranAt =
    suites
      .map((s) => String(s.ranAt ?? ""))
      .sort()
      .pop() || "?";
  return [
    `Smoke checks: ${summarizeResults(results)} (ran ${ranAt})`,
    ...formatResultTable(results)
      .trimEnd()
      .split("\n")
      .map((l) => `  ${l}`),
  ];
}

function integritySection(resources: StateResource[]): string[] {
  const verify = resources.find((r) => r.type === "pulumi-nodejs:dynamic/checks:IntegrityVerify")?.outputs;
  if (!verify) return ["Database: no integrity gate configured (gates.integrity)"];
  const before = verify.before as Snapshot | undefined;
  const after = verify.after as Snapshot | undefined;
  if (!before || !after) return ["Database: the integrity gate has not completed yet"];
  const names = [...new Set([...before.tables, ...after.tables, ...before.views, ...after.views])].sort();
  const describe = (s: Snapshot, name: string) => {
    if (s.views.includes(name)) return "view";
    if (!s.tables.includes(name)) return "-";
    return name in s.rowCounts ? `${s.rowCounts[name]} rows` : "table";
  };
  const lines = [`Database (${verify.engine}): tables before -> after the deploy`];
  for (const n of names)
    lines.push(`  ${pad(n, 28)} ${pad(describe(before, n), 10)} -> ${describe(after, n)}`);
  return lines;
}

function main() {
  const stack = process.argv[2] ?? "local";
  const exported = pulumiJson(["stack", "export", "--stack", stack]) as {
    deployment?: { resources?: StateResource[] };
  };
  const resources = exported.deployment?.resources ?? [];
  const outputs = pulumiJson(["stack", "output", "--stack", stack, "--json"]) as Record<string, unknown>;
  const foreign = (outputs.foreignKeys ?? {}) as Record<string, Record<string, string[]>>;
  const lines = [
    "",
    `fleetgate ${stack} stack, revision ${outputs.revision ?? "?"}`,
    ...servicesSection(resources),
    ...smokeSection(resources),
    ...integritySection(resources),
  ];
  const drift = Object.entries(foreign).flatMap(([set, bySvc]) =>
    Object.entries(bySvc)
      .filter(([, keys]) => keys.length)
      .map(([svc, keys]) => `  ${set} on ${svc}: ${keys.join(", ")}`),
  );
  if (drift.length) lines.push("Env keys set outside the stack (kept, not owned):", ...drift);
  const logFile = resources.find((r) => r.type === "pulumi-nodejs:dynamic/local:Service")?.outputs?.logFile;
  if (logFile)
    lines.push(`Logs: ${path.relative(process.cwd(), path.dirname(String(logFile)))}/<service>.log`);
  lines.push("Tear down: bash scripts/down-local.sh");
  console.log(lines.join("\n"));
}

main();
