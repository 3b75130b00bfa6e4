/**
 * Alarms and the scheduled health monitor (see components/alarms).
 */
import { z } from "zod";

export const alarmsConfig = z.strictObject({
  /** Addresses that receive alarm emails. */
  emails: z.array(z.email("must be an email address")).default([]),
});
export type AlarmsConfig = z.infer<typeof alarmsConfig>;
