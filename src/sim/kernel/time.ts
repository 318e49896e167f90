// Virtual time. The kernel counts true time in integer microseconds (a JS number is exact up to
// 2^53 µs ≈ 285 years). Models and scenarios speak milliseconds or seconds; convert at the edge.

/** Integer microseconds of true (simulated) time. */
export type Micros = number;

export const US_PER_MS = 1_000;
export const US_PER_S = 1_000_000;

/** Milliseconds → integer microseconds (rounded, so 0.1 ms latencies survive). */
export function msToUs(ms: number): Micros {
  return Math.round(ms * US_PER_MS);
}

/** Seconds → integer microseconds. */
export function sToUs(s: number): Micros {
  return Math.round(s * US_PER_S);
}

export function usToMs(us: Micros): number {
  return us / US_PER_MS;
}

export function usToS(us: Micros): number {
  return us / US_PER_S;
}

/** "12.345s" — for explanations and logs (never parsed back). */
export function formatUs(us: Micros): string {
  const s = us / US_PER_S;
  if (Math.abs(s) >= 1) return `${trimFixed(s, 3)}s`;
  return `${trimFixed(us / US_PER_MS, 3)}ms`;
}

function trimFixed(x: number, digits: number): string {
  return x.toFixed(digits).replace(/\.?0+$/, '');
}
