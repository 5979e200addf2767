/** @module bench/stats Summary statistics for benchmark samples (median, percentiles, rates). */

/** The p-th percentile (0..100) by linear interpolation between closest ranks; NaN for no samples. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = (Math.min(100, Math.max(0, p)) / 100) * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  const a = sorted[low] as number;
  const b = sorted[high] as number;
  return a + (b - a) * (rank - low);
}

export function median(samples: readonly number[]): number {
  return percentile(samples, 50);
}

export function mean(samples: readonly number[]): number {
  return samples.length === 0 ? Number.NaN : samples.reduce((a, b) => a + b, 0) / samples.length;
}

/** p50 / p95 / max of a latency sample set, in the samples' unit. */
export interface Spread {
  p50: number;
  p95: number;
  max: number;
  n: number;
}

export function spread(samples: readonly number[]): Spread {
  return {
    p50: percentile(samples, 50),
    p95: percentile(samples, 95),
    max: samples.length ? Math.max(...samples) : Number.NaN,
    n: samples.length,
  };
}

/** Items per second over a span in milliseconds. */
export function ratePerSec(items: number, ms: number): number {
  return ms > 0 ? (items * 1000) / ms : Number.NaN;
}

/** Rounds for reports: keeps JSON and tables readable without hiding the magnitude. */
export function round(value: number, digits = 2): number {
  if (!Number.isFinite(value)) return value;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
