// A scenario's `expect` block, evaluated against a run's incidents and metrics.
//
//   expect:
//     splitBrain: none            # none | latent | confirmed | any, or a count ("<= 1")
//     lostWrites: 0               # a number means "equal to"
//     failovers: 1
//     maxUnavailableMs: "<= 45000"  # comparisons: < <= > >= == != and ranges "10..20"; units s/ms/min on *Ms keys
//     writeAvailability: ">= 0.99"  # also "99%"
//
// The names, their meaning and the values they accept are `EXPECTATIONS` (the scenario schema in
// src/scenarios validates against `validateExpectation`). State expectations about who holds the
// leader key, roles, timelines, synchronous standbys, logs and operations (`leader: { node: pg2,
// within: 24s, after: f1 }`) are `STATE_EXPECTATIONS` in ./stateChecks.ts; they read the history.
import type { History } from './history.js';
import type { IncidentKind, Severity } from './incident.js';
import type { Metrics } from './metrics.js';
import { STATE_EXPECTATIONS, type CheckExpectation } from './stateChecks.js';
import { mergeIntervals, where, type Interval } from './intervals.js';

export interface ExpectationResult {
  name: string;
  /** The expected value as written in the scenario. */
  expected: string;
  ok: boolean;
  /** What the run produced (a number, or a word for the categorical ones). */
  actual: number | string | null;
  /** Why it failed, in words (empty when ok). */
  message: string;
}

/** The part of a run result an expectation reads. */
export interface RunOutcome {
  incidents: readonly { kind: IncidentKind; severity: Severity; details: Record<string, unknown> }[];
  metrics: Metrics;
  /** The run's history (state expectations and the history-based counts need it). */
  history?: History;
}

type Getter = (r: RunOutcome) => number | null;

interface NumericExpectation {
  kind: 'number';
  description: string;
  get: Getter;
  /** Durations: "<= 45s" is accepted and read in ms. */
  durationMs?: boolean;
  /** Fractions: "99%" is accepted. */
  fraction?: boolean;
}

interface CategoryExpectation {
  kind: 'category';
  description: string;
  values: readonly string[];
  /** The run's category, and a count for numeric comparisons. */
  get: (r: RunOutcome) => { category: string; count: number };
  accepts: (expected: string, actual: string) => boolean;
}

type Expectation = NumericExpectation | CategoryExpectation | CheckExpectation;

/**
 * Longest time, after the leader key was first granted, during which no node held it in any store
 * (per-server views of stores without one authority count when any server grants it). null
 * without a history or without any grant.
 */
function leaderlessMs(h: History | undefined): number | null {
  if (!h) return null;
  const held: Interval[] = [];
  for (const spans of Object.values(h.leader)) held.push(...where(spans, (v) => v.holder !== null));
  const merged = mergeIntervals(held);
  const first = merged[0];
  if (first === undefined) return null;
  let worst = 0;
  for (let i = 1; i < merged.length; i++) worst = Math.max(worst, (merged[i] as Interval).fromUs - (merged[i - 1] as Interval).toUs);
  worst = Math.max(worst, h.endUs - (merged[merged.length - 1] as Interval).toUs);
  return Math.round(worst) / 1000;
}

const count = (kind: IncidentKind, pred: (i: RunOutcome['incidents'][number]) => boolean = () => true): Getter => (r) =>
  r.incidents.filter((i) => i.kind === kind && pred(i)).length;

const misjudgment = (i: RunOutcome['incidents'][number]): boolean => i.details.verdict !== 'legitimate';

export const EXPECTATIONS: Record<string, Expectation> = {
  splitBrain: {
    kind: 'category',
    description: 'split-brain: none | latent (only latent ones) | confirmed (at least one confirmed) | any; or a count',
    values: ['none', 'latent', 'confirmed', 'any'],
    get: (r) => {
      const sb = r.incidents.filter((i) => i.kind === 'split-brain');
      const confirmed = sb.some((i) => i.details.confirmed === true);
      return { category: sb.length === 0 ? 'none' : confirmed ? 'confirmed' : 'latent', count: sb.length };
    },
    accepts: (e, a) => (e === 'any' ? a !== 'none' : e === a),
  },
  divergence: {
    kind: 'category',
    description: 'timeline divergence: none | resolved (every diverged copy rewound or re-cloned by the end) | unresolved | any; or a count',
    values: ['none', 'resolved', 'unresolved', 'any'],
    get: (r) => {
      const d = r.incidents.filter((i) => i.kind === 'divergence');
      const unresolved = d.some((i) => Array.isArray(i.details.stillDiverged) && i.details.stillDiverged.length > 0);
      return { category: d.length === 0 ? 'none' : unresolved ? 'unresolved' : 'resolved', count: d.length };
    },
    accepts: (e, a) => (e === 'any' ? a !== 'none' : e === a),
  },
  splitBrains: { kind: 'number', description: 'number of split-brain incidents', get: count('split-brain') },
  confirmedSplitBrains: { kind: 'number', description: 'number of confirmed split-brain incidents', get: count('split-brain', (i) => i.details.confirmed === true) },
  lostWrites: { kind: 'number', description: 'acknowledged writes missing from the final history', get: (r) => r.metrics.lostWrites },
  lostBytes: { kind: 'number', description: 'WAL bytes of the lost acknowledged writes', get: (r) => r.metrics.lostBytes },
  indeterminateWrites: { kind: 'number', description: 'writes with an unknown outcome (info or never completed)', get: (r) => r.metrics.indeterminateWrites.total },
  divergences: { kind: 'number', description: 'number of divergence incidents', get: count('divergence') },
  falseFailovers: { kind: 'number', description: 'number of false-failover incidents', get: count('false-failover') },
  missedFailovers: { kind: 'number', description: 'missed failovers judged as misjudgment (legitimate stalls excluded)', get: count('missed-failover', misjudgment) },
  legitimateStalls: { kind: 'number', description: 'unavailability beyond the budget that Patroni\'s rules required (pause, no quorum, sync mode...)', get: count('missed-failover', (i) => !misjudgment(i)) },
  undetectedPartitions: { kind: 'number', description: 'number of undetected-partition incidents', get: count('undetected-partition') },
  incidents: { kind: 'number', description: 'incidents of severity warning or critical ("none" = 0)', get: (r) => r.incidents.filter((i) => i.severity !== 'info').length },
  failovers: { kind: 'number', description: 'automatic and manual failovers (promotions not asked for by a switchover)', get: (r) => r.metrics.failovers },
  switchovers: { kind: 'number', description: 'promotions answering a switchover', get: (r) => r.metrics.switchovers },
  promotions: { kind: 'number', description: 'every promotion that replaced a primary', get: (r) => r.metrics.promotions.length },
  maxUnavailableMs: { kind: 'number', description: 'longest client-observed write unavailability window, ms', get: (r) => r.metrics.maxUnavailableMs, durationMs: true },
  maxRecoveryMs: { kind: 'number', description: 'longest recovery (last ack on the old timeline to first ack on the new one), ms', get: (r) => r.metrics.maxRecoveryMs, durationMs: true },
  splitBrainMs: { kind: 'number', description: 'total time with two writable primaries, ms', get: (r) => r.metrics.splitBrainMs, durationMs: true },
  writeAvailability: { kind: 'number', description: 'fraction of time writes succeeded (0..1, or a percentage)', get: (r) => r.metrics.writeAvailability, fraction: true },
  staleReads: { kind: 'number', description: 'reads that missed an already acknowledged write', get: (r) => r.metrics.reads.stale },
  failedWrites: { kind: 'number', description: 'client write operations that failed (certainly not applied); each retry is an operation', get: (r) => r.metrics.writes.failed },
  acknowledgedWrites: { kind: 'number', description: 'client write operations acknowledged', get: (r) => r.metrics.writes.acknowledged },
  leaderlessMs: { kind: 'number', description: 'longest time without any leader-key holder after the first grant, ms', get: (r) => leaderlessMs(r.history), durationMs: true },
  ...STATE_EXPECTATIONS,
};

export const EXPECTATION_NAMES = Object.keys(EXPECTATIONS);

/** Which expectation names speak about each incident kind (an incident is "expected" if one is set). */
export const EXPECTATIONS_BY_KIND: Record<IncidentKind, readonly string[]> = {
  'split-brain': ['splitBrain', 'splitBrains', 'confirmedSplitBrains', 'splitBrainMs'],
  'lost-write': ['lostWrites', 'lostBytes'],
  divergence: ['divergence', 'divergences'],
  'false-failover': ['falseFailovers'],
  'missed-failover': ['missedFailovers', 'legitimateStalls'],
  'undetected-partition': ['undetectedPartitions', 'staleReads'],
};

type Comparison = { op: '<' | '<=' | '>' | '>=' | '==' | '!='; value: number } | { op: 'range'; lo: number; hi: number };

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000 };

function parseNumber(text: string, e: Expectation): number | null {
  const t = text.trim();
  const m = /^(-?\d+(?:\.\d+)?)\s*([a-z%]*)$/i.exec(t);
  if (!m) return null;
  const v = Number(m[1]);
  const unit = (m[2] ?? '').toLowerCase();
  if (unit === '') return v;
  if (unit === '%' && e.kind === 'number' && e.fraction) return v / 100;
  if (e.kind === 'number' && e.durationMs && unit in UNIT_MS) return v * (UNIT_MS[unit] as number);
  return null;
}

function parseComparison(raw: unknown, e: Expectation): Comparison | null {
  if (typeof raw === 'number') return Number.isFinite(raw) ? { op: '==', value: raw } : null;
  if (typeof raw === 'boolean') return raw ? { op: '>=', value: 1 } : { op: '==', value: 0 };
  if (typeof raw !== 'string') return null;
  const s = raw.trim();
  if (s === 'none') return { op: '==', value: 0 };
  const range = /^(.+?)\s*\.\.\s*(.+)$/.exec(s);
  if (range) {
    const lo = parseNumber(range[1] as string, e);
    const hi = parseNumber(range[2] as string, e);
    return lo === null || hi === null ? null : { op: 'range', lo, hi };
  }
  const m = /^(<=|>=|==|!=|<|>|=)?\s*(.+)$/.exec(s);
  if (!m) return null;
  const v = parseNumber(m[2] as string, e);
  if (v === null) return null;
  const op = (m[1] === '=' || m[1] === undefined ? '==' : m[1]) as '<' | '<=' | '>' | '>=' | '==' | '!=';
  return { op, value: v };
}

function holds(c: Comparison, x: number): boolean {
  switch (c.op) {
    case 'range':
      return x >= c.lo && x <= c.hi;
    case '<':
      return x < c.value;
    case '<=':
      return x <= c.value;
    case '>':
      return x > c.value;
    case '>=':
      return x >= c.value;
    case '==':
      return x === c.value;
    case '!=':
      return x !== c.value;
  }
}

function expectedText(raw: unknown): string {
  return typeof raw === 'string' ? raw : flowText(raw);
}

/** A value as YAML flow text: `{ node: pg2, within: 24s }` (state expectations print readably). */
function flowText(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(flowText).join(', ')}]`;
  if (v !== null && typeof v === 'object') return `{ ${Object.entries(v as Record<string, unknown>).map(([k, x]) => `${k}: ${flowText(x)}`).join(', ')} }`;
  if (typeof v === 'string') return /^[\w.@:/-]+$/.test(v) ? v : JSON.stringify(v);
  return String(v);
}

/** Nearest known name (edit distance ≤ 3), for "did you mean". */
export function suggestExpectation(name: string): string | undefined {
  let best: { n: string; d: number } | undefined;
  for (const n of EXPECTATION_NAMES) {
    const d = editDistance(name.toLowerCase(), n.toLowerCase());
    if (d <= 3 && (!best || d < best.d)) best = { n, d };
  }
  return best?.n;
}

function editDistance(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0] as number;
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j] as number;
      dp[j] = Math.min((dp[j] as number) + 1, (dp[j - 1] as number) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length] as number;
}

/** null when `value` is a valid expectation for `name`; otherwise what is wrong, in words. */
export function validateExpectation(name: string, value: unknown): string | null {
  const e = EXPECTATIONS[name];
  if (!e) {
    const s = suggestExpectation(name);
    return `unknown expectation "${name}"${s ? ` (did you mean "${s}"?)` : ''}; known: ${EXPECTATION_NAMES.join(', ')}`;
  }
  if (e.kind === 'check') {
    const bad = e.validate(value);
    return bad === null ? null : `${name}: ${bad}`;
  }
  if (e.kind === 'category' && typeof value === 'string' && e.values.includes(value.trim())) return null;
  if (parseComparison(value, e) === null) {
    const forms = e.kind === 'category' ? `${e.values.join(' | ')} or a count` : e.kind === 'number' && e.durationMs ? 'a number of ms or a comparison such as "<= 45000" or "<= 45s"' : 'a number or a comparison such as "<= 3" or "1..2"';
    return `${name}: cannot read ${expectedText(value)}; expected ${forms}`;
  }
  return null;
}

/** Evaluate every entry of an `expect` block, in the block's order. */
export function evaluateExpectations(expect: Readonly<Record<string, unknown>> | undefined, run: RunOutcome): ExpectationResult[] {
  const out: ExpectationResult[] = [];
  for (const [name, raw] of Object.entries(expect ?? {})) {
    const expected = expectedText(raw);
    const e = EXPECTATIONS[name];
    const invalid = validateExpectation(name, raw);
    if (!e || invalid !== null) {
      out.push({ name, expected, ok: false, actual: null, message: invalid ?? `unknown expectation ${name}` });
      continue;
    }
    if (e.kind === 'check') {
      if (!run.history) {
        out.push({ name, expected, ok: false, actual: null, message: `${name} needs the run's history` });
        continue;
      }
      const r = e.evaluate(raw, run.history);
      out.push({ name, expected, ok: r.ok, actual: r.actual, message: r.message });
      continue;
    }
    if (e.kind === 'category' && typeof raw === 'string' && e.values.includes(raw.trim())) {
      const a = e.get(run);
      const ok = e.accepts(raw.trim(), a.category);
      out.push({ name, expected, ok, actual: a.category, message: ok ? '' : `expected ${name} ${raw.trim()}, got ${a.category} (${a.count})` });
      continue;
    }
    const c = parseComparison(raw, e) as Comparison;
    const actual = e.kind === 'category' ? e.get(run).count : e.get(run);
    if (actual === null) {
      out.push({ name, expected, ok: false, actual: null, message: `${name} is not defined for this run` });
      continue;
    }
    const ok = holds(c, actual);
    out.push({ name, expected, ok, actual, message: ok ? '' : `expected ${name} ${expected}, got ${actual}` });
  }
  return out;
}

