/**
 * Figures of a sampling window (error rate, p95 latency) and the verdict against the watch's
 * thresholds. Pure functions: the watch provider and its tests share them.
 */

/** One request to a health URL. */
export interface Sample {
  ok: boolean;
  latencyMs: number;
  /** HTTP status, or why there was none (timeout, refused). */
  status: number | string;
}

export interface Figures {
  samples: number;
  errors: number;
  errorRatePercent: number;
  /** p95 of the answered requests' latency; undefined when none answered. */
  p95Ms?: number;
}

export interface Thresholds {
  maxErrorRatePercent: number;
  maxLatencyIncreasePercent: number;
  minLatencyIncreaseMs: number;
  maxP95Ms?: number;
}

/** Nearest-rank percentile of a non-empty list. */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1];
}

export function figuresOf(samples: Sample[]): Figures {
  const errors = samples.filter((s) => !s.ok).length;
  const answered = samples.filter((s) => s.ok).map((s) => s.latencyMs);
  return {
    samples: samples.length,
    errors,
    errorRatePercent: samples.length ? Math.round((errors / samples.length) * 10000) / 100 : 0,
    ...(answered.length ? { p95Ms: percentile(answered, 95) } : {}),
  };
}

/**
 * A baseline is usable for latency when the running version answered at all (on a first
 * deploy nothing runs yet and only the absolute thresholds apply).
 */
export function usableBaseline(b: Figures | undefined): b is Figures & { p95Ms: number } {
  return b !== undefined && b.p95Ms !== undefined;
}

/** Why a window is over threshold (empty when it is within every threshold). */
export function overThreshold(window: Figures, baseline: Figures | undefined, t: Thresholds): string[] {
  const reasons: string[] = [];
  if (window.samples === 0) return ["no sample was taken"];
  if (window.errorRatePercent > t.maxErrorRatePercent) {
    reasons.push(`error rate ${window.errorRatePercent} % > ${t.maxErrorRatePercent} %`);
  }
  if (window.p95Ms !== undefined && t.maxP95Ms !== undefined && window.p95Ms > t.maxP95Ms) {
    reasons.push(`p95 ${window.p95Ms} ms > ${t.maxP95Ms} ms`);
  }
  if (window.p95Ms !== undefined && usableBaseline(baseline)) {
    const limit = baseline.p95Ms * (1 + t.maxLatencyIncreasePercent / 100);
    if (window.p95Ms > limit && window.p95Ms - baseline.p95Ms >= t.minLatencyIncreaseMs) {
      reasons.push(
        `p95 ${window.p95Ms} ms is ${Math.round((window.p95Ms / Math.max(baseline.p95Ms, 1) - 1) * 100)} % over the baseline's ${baseline.p95Ms} ms (allowed ${t.maxLatencyIncreasePercent} %)`,
      );
    }
  }
  return reasons;
}

/**
 * True when so many requests already failed that the window cannot end under the error-rate
 * threshold: the watch stops early instead of leaving a broken deploy up for the whole window.
 */
export function hopeless(errors: number, expectedSamples: number, maxErrorRatePercent: number): boolean {
  return errors > (maxErrorRatePercent / 100) * expectedSamples;
}

export interface WatchRow {
  service: string;
  window: Figures;
  baseline?: Figures;
  reasons: string[];
}

/** The figures table of a watch (in its output and its failure message). */
export function formatWatchTable(rows: WatchRow[]): string {
  const ms = (v: number | undefined) => (v === undefined ? "-" : `${v} ms`);
  const table = [
    ["SERVICE", "SAMPLES", "ERRORS", "ERROR RATE", "P95", "BASELINE P95", "VERDICT"],
    ...rows.map((r) => [
      r.service,
      String(r.window.samples),
      String(r.window.errors),
      `${r.window.errorRatePercent} %`,
      ms(r.window.p95Ms),
      usableBaseline(r.baseline) ? ms(r.baseline.p95Ms) : "none",
      r.reasons.length ? `OVER: ${r.reasons.join("; ")}` : "ok",
    ]),
  ];
  const widths = table[0].map((_, i) => Math.max(...table.map((row) => row[i].length)));
  return table
    .map((row) => row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]))).join("  "))
    .join("\n");
}
