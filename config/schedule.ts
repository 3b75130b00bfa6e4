/**
 * Schedule expressions, checked with a maintained cron parser (`cron-parser`) rather than a
 * shape regex, so a schedule the platform would refuse is refused here, with the fix.
 *
 * - `cronSchedule`: the 5-field cron of Render cron jobs and GitHub Actions `schedule` (UTC).
 * - `awsScheduleExpression`: an EventBridge schedule, `rate(<n> <unit>)` or `cron(<6 fields>)`
 *   (minutes hours day-of-month month day-of-week year; one of the two day fields must be `?`).
 */
import { CronExpressionParser } from "cron-parser";
import { z } from "zod";

const CRON_EXAMPLE = '"0 * * * *" (minute hour day-of-month month day-of-week)';

/** Why a 5-field cron expression is invalid, or undefined when it is valid. */
export function cronProblem(expr: string): string | undefined {
  const fields = expr.trim().split(/\s+/).filter(Boolean);
  if (fields.length === 0) return `is empty; write a 5-field cron expression such as ${CRON_EXAMPLE}`;
  if (fields.length !== 5 || expr.trim().startsWith("@")) {
    return `"${expr}" has ${fields.length} field${fields.length === 1 ? "" : "s"}; write exactly 5, e.g. ${CRON_EXAMPLE}`;
  }
  try {
    CronExpressionParser.parse(fields.join(" "), { tz: "UTC" });
  } catch (e) {
    return `"${expr}" is not a valid cron expression (${(e as Error).message}); write e.g. ${CRON_EXAMPLE}`;
  }
  return undefined;
}

const RATE = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/;
const AWS_EXAMPLE = "rate(12 hours) or cron(0 */12 * * ? *)";

/** Why an EventBridge schedule expression is invalid, or undefined when it is valid. */
export function awsScheduleProblem(expr: string): string | undefined {
  const rate = RATE.exec(expr);
  if (rate) {
    const n = Number(rate[1]);
    if (n < 1) return `"${expr}" must have a rate of at least 1; write e.g. ${AWS_EXAMPLE}`;
    // AWS: a value of 1 takes the singular unit, any other value the plural one.
    if ((n === 1) !== !rate[2].endsWith("s")) {
      const unit = rate[2].replace(/s$/, "");
      return `"${expr}" must read rate(${n} ${n === 1 ? unit : `${unit}s`}) (AWS wants the singular unit only for 1)`;
    }
    return undefined;
  }
  const cron = /^cron\((.*)\)$/.exec(expr);
  if (!cron) return `"${expr}" is not an EventBridge schedule; write ${AWS_EXAMPLE}`;
  const fields = cron[1].trim().split(/\s+/).filter(Boolean);
  if (fields.length !== 6) {
    return `"${expr}" has ${fields.length} fields; AWS cron takes 6 (minutes hours day-of-month month day-of-week year), e.g. cron(0 */12 * * ? *)`;
  }
  const [min, hour, dom, month, dow, year] = fields;
  if ((dom === "?") === (dow === "?")) {
    return `"${expr}" must have "?" in exactly one of day-of-month and day-of-week (AWS refuses both or neither), e.g. cron(0 */12 * * ? *)`;
  }
  if (!/^(\*|\d{4}(-\d{4})?(\/\d+)?)(,\d{4}(-\d{4})?)*$/.test(year)) {
    return `"${expr}" has year "${year}"; use * or a year such as 2027 (ranges 2027-2030 allowed)`;
  }
  // AWS numbers the days of the week 1-7 (SUN-SAT); the standard parser 0-7. Check the rest with it.
  const stdDow =
    dow === "?"
      ? "*"
      : dow.replace(/(^|[,-])(\d)/g, (_m, sep: string, d: string) => `${sep}${Number(d) - 1}`);
  if (dow !== "?" && /(^|[,-])(0|[89])/.test(dow)) {
    return `"${expr}" has day-of-week "${dow}"; AWS numbers days 1-7 (SUN-SAT) or takes names such as MON-FRI`;
  }
  try {
    CronExpressionParser.parse([min, hour, dom === "?" ? "*" : dom, month, stdDow].join(" "), { tz: "UTC" });
  } catch (e) {
    return `"${expr}" is not a valid AWS cron expression (${(e as Error).message}); write e.g. cron(0 */12 * * ? *)`;
  }
  return undefined;
}

function refinedBy(problem: (s: string) => string | undefined) {
  return z.string().superRefine((value, ctx) => {
    const message = problem(value);
    if (message) ctx.addIssue({ code: "custom", message, input: value });
  });
}

/** A 5-field cron expression (Render cron jobs, GitHub Actions schedules; UTC). */
export const cronSchedule = refinedBy(cronProblem);

/** An EventBridge schedule expression: rate(...) or cron(<6 fields>). */
export const awsScheduleExpression = refinedBy(awsScheduleProblem);
