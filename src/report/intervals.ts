// Half-open true-time intervals [fromUs, toUs) and piecewise-constant tracks, the vocabulary every
// index of the history and every detector speaks. Lists of intervals are kept sorted and disjoint.

export interface Interval {
  fromUs: number;
  toUs: number;
}

/** A value that holds over [fromUs, toUs). */
export interface Span<V> extends Interval {
  v: V;
}

/** Sort and merge overlapping or touching intervals; drops empty ones. */
export function mergeIntervals(xs: readonly Interval[]): Interval[] {
  const sorted = xs.filter((x) => x.toUs > x.fromUs).sort((a, b) => a.fromUs - b.fromUs || a.toUs - b.toUs);
  const out: Interval[] = [];
  for (const x of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && x.fromUs <= last.toUs) {
      if (x.toUs > last.toUs) last.toUs = x.toUs;
    } else out.push({ fromUs: x.fromUs, toUs: x.toUs });
  }
  return out;
}

/** Intersection of two sorted disjoint lists. */
export function intersectIntervals(a: readonly Interval[], b: readonly Interval[]): Interval[] {
  const out: Interval[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = a[i] as Interval;
    const y = b[j] as Interval;
    const from = Math.max(x.fromUs, y.fromUs);
    const to = Math.min(x.toUs, y.toUs);
    if (to > from) out.push({ fromUs: from, toUs: to });
    if (x.toUs < y.toUs) i++;
    else j++;
  }
  return out;
}

/** `a` minus `b` (both sorted disjoint). */
export function subtractIntervals(a: readonly Interval[], b: readonly Interval[]): Interval[] {
  const out: Interval[] = [];
  let j = 0;
  for (const x of a) {
    let from = x.fromUs;
    while (j < b.length && (b[j] as Interval).toUs <= from) j++;
    let k = j;
    while (k < b.length && (b[k] as Interval).fromUs < x.toUs) {
      const y = b[k] as Interval;
      if (y.fromUs > from) out.push({ fromUs: from, toUs: y.fromUs });
      from = Math.max(from, y.toUs);
      k++;
    }
    if (x.toUs > from) out.push({ fromUs: from, toUs: x.toUs });
  }
  return out;
}

/** The complement of a sorted disjoint list within [fromUs, toUs). */
export function complementIntervals(xs: readonly Interval[], fromUs: number, toUs: number): Interval[] {
  return subtractIntervals([{ fromUs, toUs }], xs);
}

export function clipIntervals(xs: readonly Interval[], fromUs: number, toUs: number): Interval[] {
  return intersectIntervals(xs, [{ fromUs, toUs }]);
}

export function totalUs(xs: readonly Interval[]): number {
  let s = 0;
  for (const x of xs) s += x.toUs - x.fromUs;
  return s;
}

/** Index of the interval (sorted, disjoint) containing t, or -1. */
export function indexAt<T extends Interval>(xs: readonly T[], t: number): number {
  let lo = 0;
  let hi = xs.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const x = xs[mid] as T;
    if (t < x.fromUs) hi = mid - 1;
    else if (t >= x.toUs) lo = mid + 1;
    else return mid;
  }
  return -1;
}

export function coversAt(xs: readonly Interval[], t: number): boolean {
  return indexAt(xs, t) >= 0;
}

/** Whether `xs` covers all of [fromUs, toUs). */
export function coversAll(xs: readonly Interval[], fromUs: number, toUs: number): boolean {
  if (toUs <= fromUs) return true;
  return totalUs(clipIntervals(xs, fromUs, toUs)) >= toUs - fromUs;
}

/** The longest interval of a list (first one on ties), or undefined. */
export function longest<T extends Interval>(xs: readonly T[]): T | undefined {
  let best: T | undefined;
  for (const x of xs) if (best === undefined || x.toUs - x.fromUs > best.toUs - best.fromUs) best = x;
  return best;
}

/**
 * A piecewise-constant value over time, built by appending changes in time order (streaming).
 * Consecutive equal values (by `same`) extend one span, so a track costs one span per change.
 */
export class SpanTrack<V> {
  readonly spans: Span<V>[] = [];

  constructor(private readonly same: (a: V, b: V) => boolean = (a, b) => a === b) {}

  /** The value changes to `v` at `tUs`. */
  set(tUs: number, v: V): void {
    const last = this.spans[this.spans.length - 1];
    if (last !== undefined) {
      if (this.same(last.v, v)) return;
      if (last.fromUs === tUs) {
        // two changes at the same instant: the later one wins
        last.v = v;
        const prev = this.spans[this.spans.length - 2];
        if (prev !== undefined && this.same(prev.v, v)) {
          this.spans.pop();
          prev.toUs = Number.POSITIVE_INFINITY;
        }
        return;
      }
      last.toUs = tUs;
    }
    this.spans.push({ fromUs: tUs, toUs: Number.POSITIVE_INFINITY, v });
  }

  get current(): V | undefined {
    return this.spans[this.spans.length - 1]?.v;
  }

  /** Close the open span at `endUs`. */
  finish(endUs: number): Span<V>[] {
    const last = this.spans[this.spans.length - 1];
    if (last !== undefined && last.toUs === Number.POSITIVE_INFINITY) last.toUs = Math.max(endUs, last.fromUs);
    return this.spans;
  }
}

/** The span holding at t (spans sorted and contiguous or not), or undefined. */
export function spanAt<V>(spans: readonly Span<V>[], t: number): Span<V> | undefined {
  const i = indexAt(spans, t);
  return i >= 0 ? spans[i] : undefined;
}

/** The last span that started at or before t (it may have ended), or undefined. */
export function lastSpanStartedBy<V>(spans: readonly Span<V>[], t: number): Span<V> | undefined {
  let lo = 0;
  let hi = spans.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if ((spans[mid] as Span<V>).fromUs <= t) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found >= 0 ? spans[found] : undefined;
}

/** The intervals of a track where `pred` holds (merged). */
export function where<V>(spans: readonly Span<V>[], pred: (v: V) => boolean): Interval[] {
  return mergeIntervals(spans.filter((s) => pred(s.v)).map((s) => ({ fromUs: s.fromUs, toUs: s.toUs })));
}

/**
 * Evaluate a piecewise-constant predicate over [fromUs, toUs): `points` are the instants where any
 * input may change; the predicate is sampled once per piece. Returns where it held (merged).
 */
export function piecewise(points: readonly number[], fromUs: number, toUs: number, pred: (tUs: number) => boolean): Interval[] {
  const cuts: number[] = [fromUs];
  for (const p of points) if (p > fromUs && p < toUs) cuts.push(p);
  cuts.push(toUs);
  cuts.sort((a, b) => a - b);
  const out: Interval[] = [];
  for (let i = 0; i + 1 < cuts.length; i++) {
    const a = cuts[i] as number;
    const b = cuts[i + 1] as number;
    if (b <= a) continue;
    if (pred(a)) {
      const last = out[out.length - 1];
      if (last !== undefined && last.toUs === a) last.toUs = b;
      else out.push({ fromUs: a, toUs: b });
    }
  }
  return out;
}
