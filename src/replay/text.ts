// Small text helpers the replay's panels and event log share: times (the kernel's `formatUs`),
// compact host lists, partition groups.
import { fmtBytes, fmtLsn } from '../report/incident.js';
import type { PartitionEpoch } from '../report/timeline.js';
import { formatUs, type Micros } from '../sim/kernel/time.js';

/** A cursor or event time: "41.2s", "350ms" (the kernel's formatting). */
export function fmtTime(us: Micros): string {
  const r = Math.round(us);
  return r === 0 ? '0s' : formatUs(r);
}

/** Milliseconds of the timeline model → integer µs (the replay's cursor unit). */
export function msToUsExact(ms: number): Micros {
  return Math.round(ms * 1000);
}

/**
 * Host names with runs of numbered siblings folded: ["app1", "etcd1", "etcd2", "etcd3", "pg2"]
 * → "app1 etcd1-3 pg2". Names keep their sorted order.
 */
export function compactNames(names: readonly string[]): string {
  const parsed = names.map((n) => {
    const m = /^(.*?)(\d+)$/.exec(n);
    return m ? { n, stem: m[1] as string, num: Number(m[2]), digits: (m[2] as string).length } : { n, stem: n, num: Number.NaN, digits: 0 };
  });
  const out: string[] = [];
  let i = 0;
  while (i < parsed.length) {
    const a = parsed[i] as (typeof parsed)[number];
    let j = i;
    if (!Number.isNaN(a.num)) {
      while (j + 1 < parsed.length) {
        const b = parsed[j + 1] as (typeof parsed)[number];
        const prev = parsed[j] as (typeof parsed)[number];
        if (b.stem !== a.stem || b.num !== prev.num + 1 || String(b.num).length !== b.digits) break;
        j++;
      }
    }
    out.push(j > i + 1 ? `${a.n}-${(parsed[j] as (typeof parsed)[number]).num}` : parsed.slice(i, j + 1).map((p) => p.n).join(' '));
    i = j + 1;
  }
  return out.join(' ');
}

/** "{pg1} | {app1 etcd1-3 pg2 pg3}" — or, for a partial cut, the cut links. */
export function epochText(e: PartitionEpoch | null): string {
  if (e === null) return 'every host reaches every other';
  if (e.groups.length > 1) return e.groups.map((g) => `{${compactNames(g)}}`).join(' | ');
  return `partial cut: ${e.cuts.join(', ')}`;
}

export function fmtLsnOrDash(lsn: number | null | undefined): string {
  return lsn === null || lsn === undefined ? '-' : fmtLsn(lsn);
}

export function fmtLag(bytes: number | null | undefined): string {
  return bytes === null || bytes === undefined ? '?' : fmtBytes(bytes);
}

/** Truncate to `width` code points, ending with "…" when cut. */
export function clip(s: string, width: number): string {
  if (width <= 0) return '';
  const cps = [...s];
  if (cps.length <= width) return s;
  return `${cps.slice(0, Math.max(0, width - 1)).join('')}…`;
}

export function padEnd(s: string, width: number): string {
  const n = [...s].length;
  return n >= width ? clip(s, width) : s + ' '.repeat(width - n);
}

export function padStart(s: string, width: number): string {
  const n = [...s].length;
  return n >= width ? clip(s, width) : ' '.repeat(width - n) + s;
}
