/**
 * Deploy waves (docs/waves.md): each service's effective wave, from its numeric `wave` and its
 * `after` list, and the config rules about them and about `fleet.rollout`.
 *
 * Effective wave = max(`wave`, 1 + effective wave of every service named in `after`), so `after`
 * only ever pushes a service later, and numeric waves and `after` can be mixed.
 */

/** The part of a service the wave rules read. */
export interface WaveService {
  name: string;
  type: string;
  wave: number;
  after?: string[];
}

/** The part of the fleet the wave rules read. */
export interface WaveFleet {
  services: WaveService[];
  rollout?: { scaleDown: string[] };
}

export interface WaveIssue {
  path: (string | number)[];
  message: string;
}

/**
 * The effective wave of every service, by name. Throws on an unknown name or a cycle in
 * `after`; `waveIssues` reports the same problems as config errors first.
 */
export function serviceWaves(fleet: WaveFleet): Map<string, number> {
  const byName = new Map(fleet.services.map((s) => [s.name, s]));
  const waves = new Map<string, number>();
  const visiting: string[] = [];
  const visit = (name: string): number => {
    const known = waves.get(name);
    if (known !== undefined) return known;
    const svc = byName.get(name);
    if (!svc) throw new Error(`unknown service "${name}"`);
    if (visiting.includes(name)) {
      const cycle = [...visiting.slice(visiting.indexOf(name)), name];
      throw new Error(`cycle in after: ${cycle.join(" → ")}`);
    }
    visiting.push(name);
    let wave = svc.wave;
    for (const dep of svc.after ?? []) wave = Math.max(wave, visit(dep) + 1);
    visiting.pop();
    waves.set(name, wave);
    return wave;
  };
  for (const s of fleet.services) visit(s.name);
  return waves;
}

/** The distinct effective waves, lowest first, each with its services in config order. */
export function wavePlan(fleet: WaveFleet): { wave: number; services: string[] }[] {
  const waves = serviceWaves(fleet);
  return [...new Set(waves.values())]
    .sort((a, b) => a - b)
    .map((wave) => ({
      wave,
      services: fleet.services.filter((s) => waves.get(s.name) === wave).map((s) => s.name),
    }));
}

/** Config errors of `fleet.services[].after` and `fleet.rollout`. */
export function waveIssues(fleet: WaveFleet): WaveIssue[] {
  const issues: WaveIssue[] = [];
  const names = new Set(fleet.services.map((s) => s.name));
  let unknownAfter = false;
  fleet.services.forEach((s, i) => {
    (s.after ?? []).forEach((dep, j) => {
      const path = ["fleet", "services", i, "after", j];
      if (dep === s.name) {
        issues.push({
          path,
          message: `service "${s.name}" cannot deploy after itself; remove it from after`,
        });
        unknownAfter = true;
      } else if (!names.has(dep)) {
        issues.push({
          path,
          message: `unknown service "${dep}"; name a service declared under fleet.services`,
        });
        unknownAfter = true;
      }
    });
  });
  if (!unknownAfter) {
    try {
      serviceWaves(fleet);
    } catch (err) {
      const message = (err as Error).message;
      const first = /cycle in after: ([^ ]+)/.exec(message)?.[1];
      const i = fleet.services.findIndex((s) => s.name === first);
      issues.push({
        path: ["fleet", "services", Math.max(i, 0), "after"],
        message: `${message}; services in a cycle can never deploy, remove one of these after entries`,
      });
    }
  }
  const seen = new Set<string>();
  (fleet.rollout?.scaleDown ?? []).forEach((name, j) => {
    const path = ["fleet", "rollout", "scaleDown", j];
    const svc = fleet.services.find((s) => s.name === name);
    if (!svc) {
      issues.push({
        path,
        message: `unknown service "${name}"; name a service declared under fleet.services`,
      });
    } else if (svc.type === "web") {
      issues.push({
        path,
        message: `"${name}" is a public web service; scaling it to 0 takes it offline for the whole rollout, so only private services and workers can be scaled down`,
      });
    } else if (svc.type === "cron") {
      issues.push({ path, message: `"${name}" is a cron job, which has no instances to scale; remove it` });
    } else if (seen.has(name)) {
      issues.push({ path, message: `service "${name}" is listed twice` });
    }
    seen.add(name);
  });
  return issues;
}
