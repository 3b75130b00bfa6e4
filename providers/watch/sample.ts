/**
 * Sampling health URLs: one GET at a time per service, at a fixed interval, bounded by a
 * window. A 2xx/3xx answer within the timeout is healthy; anything else is an error.
 */
import { hopeless, Sample } from "./stats";

export interface WatchTarget {
  service: string;
  /** Absolute health URL. */
  url: string;
}

export async function sampleOnce(url: string, timeoutMs: number): Promise<Sample> {
  const started = performance.now();
  try {
    const res = await fetch(url, {
      redirect: "manual",
      signal: AbortSignal.timeout(timeoutMs),
      headers: { "user-agent": "fleetgate-watch" },
    });
    await res.body?.cancel();
    const latencyMs = Math.round(performance.now() - started);
    return { ok: res.status >= 200 && res.status < 400, latencyMs, status: res.status };
  } catch (err) {
    const latencyMs = Math.round(performance.now() - started);
    const name = (err as Error).name;
    return { ok: false, latencyMs, status: name === "TimeoutError" ? "timeout" : "unreachable" };
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface WindowOptions {
  windowMs: number;
  intervalMs: number;
  timeoutMs: number;
  /** Stop a service's sampling as soon as its error rate cannot end under this. */
  maxErrorRatePercent?: number;
}

/** Samples every target concurrently for the window; returns the samples per service. */
export async function sampleWindow(
  targets: WatchTarget[],
  opts: WindowOptions,
): Promise<Record<string, Sample[]>> {
  const expected = Math.floor(opts.windowMs / opts.intervalMs) + 1;
  const out: Record<string, Sample[]> = {};
  await Promise.all(
    targets.map(async (t) => {
      const samples: Sample[] = (out[t.service] = []);
      // Sample k is due at start + k * interval, so drift never changes the number of samples.
      const start = Date.now();
      for (let k = 0; k < expected; k++) {
        await sleep(Math.max(0, start + k * opts.intervalMs - Date.now()));
        samples.push(await sampleOnce(t.url, opts.timeoutMs));
        const errors = samples.filter((s) => !s.ok).length;
        if (opts.maxErrorRatePercent !== undefined && hopeless(errors, expected, opts.maxErrorRatePercent))
          return;
      }
    }),
  );
  return out;
}
