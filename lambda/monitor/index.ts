/**
 * Lambda entry point of the scheduled health monitor (bundled by components/monitor/bundle.ts).
 * The plan (checks without secret values) ships beside the bundle as plan.json: Lambda caps
 * environment variables at 4 KB, which a fleet's checks can outgrow.
 */
import * as fs from "fs";
import * as path from "path";
import { awsDeps } from "./aws";
import { MonitorReport, runMonitor } from "./handler";
import { MonitorPlan } from "./plan";

/** Where the plan is: beside the bundle, unless FLEETGATE_MONITOR_PLAN_FILE says otherwise. */
export function planFile(env: NodeJS.ProcessEnv = process.env): string {
  return env.FLEETGATE_MONITOR_PLAN_FILE ?? path.join(__dirname, "plan.json");
}

function readPlan(file: string): MonitorPlan {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")) as MonitorPlan;
  } catch (err) {
    throw new Error(
      `cannot read the monitor plan ${file} (${(err as Error).message}); the HealthMonitor component ships it`,
    );
  }
}

export async function handler(): Promise<MonitorReport> {
  const plan = readPlan(planFile());
  const report = await runMonitor(plan, awsDeps(process.env));
  console.log(JSON.stringify({ ok: report.ok, summary: report.summary, notified: report.notified }));
  return report;
}
