/**
 * Public base URLs of the fleet's services and external targets, as the alarms and the health
 * monitor reach them from outside (the deploy gate gets the same URLs from the platform).
 */
import { StackConfig } from "../../config/schema";

/** Render's public URL of a web service unless the service sets its own `url`. */
export function servicePublicUrl(service: { name: string; url?: string }): string {
  return (service.url ?? `https://${service.name}.onrender.com`).replace(/\/$/, "");
}

/** Base URL (no trailing slash) of every service and external target, by name. */
export function targetBaseUrls(cfg: StackConfig): Record<string, string> {
  const urls: Record<string, string> = {};
  for (const s of cfg.fleet.services) urls[s.name] = servicePublicUrl(s);
  for (const t of cfg.fleet.externalTargets) urls[t.name] = t.url.replace(/\/$/, "");
  return urls;
}
