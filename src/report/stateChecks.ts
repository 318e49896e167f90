// State expectations: what a Patroni expert says about *who* and *when*, not only about incident
// counts — "pg2 holds the leader key within 24 s of the crash", "pg1 is primary again on timeline
// 1", "postgres-3 is the synchronous standby", "the cluster converged". They are the language of
// Patroni's acceptance features (features/*.feature: "postgres-1 is a leader after 10 seconds",
// "postgres-0 role is the primary", "sync key in DCS has sync_standby=postgres-1"), judged here on
// the ground truth of the run's history (src/report/history.ts), never on what Patroni believed.
//
// Every check is a map, or a list of maps (each must hold). The timing keys are shared:
//   after:      when to start looking: a fault id ("f1", the first of "f1.1", "f1.2"...), a phase
//               ("warmup", "chaos", "converge") or a time from the start of the run ("95s");
//               default: the start of the chaos phase
//   within:     the state is reached (or the event happens) at some instant in [after, after+within]
//   throughout: true: the state holds at every instant from `after` to the end of the run
//   never:      true: the state never holds (the event never happens) from `after` to the end
//   until:      with throughout or never: end the window here instead of at the end of the run
//               (a fault id, a phase or a time, as `after`)
//   (none of these: the state holds at the end of the run; an event happened after `after`)
//
//   leader:     { node, within?, ... , store?, scope? }     the node holds the leader key
//               (a string is short for { node }: it holds the key at the end)
//   role:       { node, is: primary | not-primary | replica | standby-leader | stopped, ... }
//               primary = a writable PostgreSQL (running, not in recovery, host powered);
//               replica = running in recovery; standby-leader = a replica that holds a leader key;
//               stopped = not running (stopped, stopping, crashed, being re-cloned, host off);
//               not-primary = anything but a writable primary (demoted, even while still stopping)
//   timeline:   { node?, is: <n>, ... }    the node's timeline (a streaming standby's is its
//               upstream's); node defaults to the primary at the end of the run
//   syncStandbys: { node?, is: [names] | name | none, ... }  the names in the node's
//               synchronous_standby_names (quorum "ANY k (...)" and priority "k (...)" forms);
//               or ssn: "<exact synchronous_standby_names>"; node defaults to the final primary
//   upstream:   { node, is: <node> | none, ... }   the node streams WAL from that upstream
//   log:        { node?, contains: "<text>", ... }  a Patroni HA cycle line or warning contains the text
//   operation:  { kind: switchover | failover | pause | resume | restart | reinit | edit-config |
//               promote-cluster | demote-cluster, ok?: bool, message?: "<text>", ... }
//   watchdog:   { node, event: activated | fired | disabled | failed, timeout?: 16s, ... }
//   clone:      { node, source?, ... }    a successful pg_basebackup of the node (from that source)
//   rewind:     { node, ... }             a successful pg_rewind of the node
//   converged:  true | false    at the end: exactly one writable primary, every other node a
//               running replica streaming on the primary's timeline
import type { History } from './history.js';
import { clipIntervals, coversAll, coversAt, mergeIntervals, piecewise, spanAt, where, type Interval, type Span } from './intervals.js';
import { finalLineage } from './lineage.js';

export interface CheckResult {
  ok: boolean;
  actual: number | string | null;
  message: string;
}

export interface CheckExpectation {
  kind: 'check';
  description: string;
  /** null when the value is well-formed; otherwise what is wrong, in words. */
  validate: (value: unknown) => string | null;
  evaluate: (value: unknown, h: History) => CheckResult;
}

// ---- values ---------------------------------------------------------------------------------

const DURATION_UNIT_US: Record<string, number> = { us: 1, ms: 1000, s: 1e6, m: 60e6, min: 60e6, h: 3600e6 };

/** "24s", "1m30s", "250ms", "1.5s" → µs; null when unreadable. */
export function parseCheckDuration(v: unknown): number | null {
  if (v === 0) return 0;
  if (typeof v !== 'string') return null;
  const s = v.trim();
  if (s === '0') return 0;
  const re = /(\d+(?:\.\d+)?)\s*(us|ms|min|s|m|h)/gy;
  let total = 0;
  let pos = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s)) !== null) {
    total += Number(m[1]) * (DURATION_UNIT_US[m[2] as string] as number);
    pos = re.lastIndex;
  }
  return pos === s.length && pos > 0 ? Math.round(total) : null;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const TIMING_KEYS = ['after', 'within', 'throughout', 'never', 'until'] as const;

function listOf(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [value];
}

function checkKeys(o: Obj, allowed: readonly string[]): string | null {
  for (const k of Object.keys(o)) if (!allowed.includes(k) && !(TIMING_KEYS as readonly string[]).includes(k)) return `unknown key "${k}" (known: ${[...allowed, ...TIMING_KEYS].join(', ')})`;
  if (o.within !== undefined && parseCheckDuration(o.within) === null) return `within: expected a duration such as "24s", got ${JSON.stringify(o.within)}`;
  if (o.after !== undefined && typeof o.after !== 'string') return `after: expected a fault id, a phase or a time ("95s"), got ${JSON.stringify(o.after)}`;
  if (o.until !== undefined && typeof o.until !== 'string') return `until: expected a fault id, a phase or a time ("95s"), got ${JSON.stringify(o.until)}`;
  if (o.until !== undefined && o.throughout !== true && o.never !== true) return 'until: only with throughout: true or never: true';
  for (const k of ['throughout', 'never'] as const) if (o[k] !== undefined && typeof o[k] !== 'boolean') return `${k}: expected true or false`;
  const modes = [o.within !== undefined, o.throughout === true, o.never === true].filter(Boolean).length;
  if (modes > 1) return 'give at most one of within, throughout: true, never: true';
  return null;
}

function requireString(o: Obj, key: string): string | null {
  return typeof o[key] === 'string' && (o[key] as string).length > 0 ? null : `${key}: expected a name`;
}

// ---- timing ---------------------------------------------------------------------------------

type Mode = { kind: 'end' } | { kind: 'within'; us: number } | { kind: 'throughout' } | { kind: 'never' };

function modeOf(o: Obj): Mode {
  if (o.within !== undefined) return { kind: 'within', us: parseCheckDuration(o.within) as number };
  if (o.throughout === true) return { kind: 'throughout' };
  if (o.never === true) return { kind: 'never' };
  return { kind: 'end' };
}

/** The instant `until` names (default: the end of the run), or an error text. */
function untilUs(h: History, until: unknown): { us: number; label: string } | { error: string } {
  if (until === undefined) return { us: h.endUs, label: 'the end of the run' };
  return afterUs(h, until);
}

/** The instant `after` names, or an error text. */
function afterUs(h: History, after: unknown): { us: number; label: string } | { error: string } {
  if (after === undefined) {
    const chaos = h.phases.find((p) => p.phase === 'chaos');
    return { us: chaos?.tUs ?? h.startUs, label: 'the start of the chaos phase' };
  }
  const s = String(after);
  const d = parseCheckDuration(s);
  if (d !== null) return { us: d, label: `${fmtS(d)} s` };
  const phase = h.phases.find((p) => p.phase === s);
  if (phase) return { us: phase.tUs, label: `the start of the ${s} phase` };
  const f = h.faults.find((x) => x.id === s || x.id.startsWith(`${s}.`));
  if (f) return { us: f.fromUs, label: `${s} (${fmtS(f.fromUs)} s)` };
  return { error: `"${s}" is neither a fault that fired, a phase nor a time` };
}

function fmtS(us: number): string {
  const s = (us / 1e6).toFixed(1);
  return s.endsWith('.0') ? s.slice(0, -2) : s;
}

/** Judge a state that holds over `holds` (sorted, disjoint intervals). */
function judgeState(h: History, o: Obj, holds: readonly Interval[], what: string): CheckResult {
  const a = afterUs(h, o.after);
  if ('error' in a) return { ok: false, actual: null, message: a.error };
  const mode = modeOf(o);
  const u = untilUs(h, o.until);
  if ('error' in u) return { ok: false, actual: null, message: u.error };
  const end = u.us;
  switch (mode.kind) {
    case 'end': {
      const ok = h.endUs > 0 && coversAt(holds, h.endUs - 1);
      return { ok, actual: ok ? 'at the end' : 'not at the end', message: ok ? '' : `expected ${what} at the end of the run; it was not` };
    }
    case 'throughout': {
      const ok = coversAll(holds, a.us, end);
      const gap = ok ? null : firstGap(holds, a.us, end);
      return { ok, actual: ok ? 'throughout' : `not at ${fmtS(gap ?? a.us)} s`, message: ok ? '' : `expected ${what} from ${a.label} to ${u.label}; it did not hold at ${fmtS(gap ?? a.us)} s` };
    }
    case 'never': {
      const hit = clipIntervals(holds, a.us, end)[0];
      const ok = hit === undefined;
      return { ok, actual: ok ? 'never' : `at ${fmtS(hit.fromUs)} s`, message: ok ? '' : `expected never ${what} between ${a.label} and ${u.label}; it held from ${fmtS(hit.fromUs)} s` };
    }
    case 'within': {
      const first = firstFrom(holds, a.us);
      const ok = first !== null && first - a.us <= mode.us;
      const took = first === null ? null : Math.round((first - a.us) / 1000);
      return {
        ok,
        actual: took,
        message: ok ? '' : first === null ? `expected ${what} within ${fmtS(mode.us)} s of ${a.label}; it never happened` : `expected ${what} within ${fmtS(mode.us)} s of ${a.label}; it took ${fmtS(first - a.us)} s`,
      };
    }
  }
}

/** Judge events at instants (or short spans) `at`. */
function judgeEvents(h: History, o: Obj, at: readonly Interval[], what: string): CheckResult {
  if (o.throughout === true) return { ok: false, actual: null, message: `throughout does not apply to ${what} (an event)` };
  const a = afterUs(h, o.after);
  if ('error' in a) return { ok: false, actual: null, message: a.error };
  const u = untilUs(h, o.until);
  if ('error' in u) return { ok: false, actual: null, message: u.error };
  const mode = modeOf(o);
  const first = at.filter((x) => x.toUs > a.us && x.fromUs < u.us).map((x) => Math.max(x.fromUs, a.us)).sort((x, y) => x - y)[0];
  if (mode.kind === 'never') {
    const ok = first === undefined;
    return { ok, actual: ok ? 'never' : `at ${fmtS(first as number)} s`, message: ok ? '' : `expected no ${what} after ${a.label}; one at ${fmtS(first as number)} s` };
  }
  if (mode.kind === 'within') {
    const ok = first !== undefined && first - a.us <= mode.us;
    return {
      ok,
      actual: first === undefined ? null : Math.round((first - a.us) / 1000),
      message: ok ? '' : first === undefined ? `expected ${what} within ${fmtS(mode.us)} s of ${a.label}; none happened` : `expected ${what} within ${fmtS(mode.us)} s of ${a.label}; the first came after ${fmtS(first - a.us)} s`,
    };
  }
  const ok = first !== undefined;
  return { ok, actual: ok ? `at ${fmtS(first)} s` : 'none', message: ok ? '' : `expected ${what} after ${a.label}; none happened` };
}

function firstFrom(holds: readonly Interval[], t: number): number | null {
  for (const x of holds) {
    if (x.toUs <= t) continue;
    return Math.max(x.fromUs, t);
  }
  return null;
}

function firstGap(holds: readonly Interval[], from: number, to: number): number | null {
  let t = from;
  for (const x of holds) {
    if (x.toUs <= t) continue;
    if (x.fromUs > t) return t;
    t = x.toUs;
    if (t >= to) return null;
  }
  return t < to ? t : null;
}

// ---- ground-truth predicates ------------------------------------------------------------------

/** Leader-key tracks to read: the store's authoritative view, or the per-server views of stores without one. */
function leaderTracks(h: History, store?: string, scope?: string): Span<{ holder: string | null }>[][] {
  const keys = Object.keys(h.leader).filter((k) => {
    const [storeScope] = k.split('@') as [string];
    const [st, sc] = storeScope.split('/') as [string, string | undefined];
    return (store === undefined || st === store) && (scope === undefined || sc === scope);
  });
  const authoritative = new Set(keys.filter((k) => !k.includes('@')));
  // per store: the authoritative key when there is one, else every server's view
  const chosen = keys.filter((k) => !k.includes('@') || !authoritative.has(k.split('@')[0] as string));
  return chosen.map((k) => h.leader[k] ?? []);
}

export function leaderIntervals(h: History, node: string, store?: string, scope?: string): Interval[] {
  return mergeIntervals(leaderTracks(h, store, scope).flatMap((spans) => where(spans, (v) => v.holder === node)));
}

function powerOff(h: History, node: string): Interval[] {
  return where(h.power[node] ?? [], (on) => !on);
}

export function roleIntervals(h: History, node: string, role: string): Interval[] {
  const pg = h.pg[node] ?? [];
  const off = powerOff(h, node);
  const minusOff = (xs: Interval[]): Interval[] => mergeIntervals(xs).flatMap((x) => clipOut(x, off));
  switch (role) {
    case 'primary':
      return h.writable[node] ?? [];
    case 'not-primary':
      return complement(h.writable[node] ?? [], h.startUs, h.endUs);
    case 'replica':
      return minusOff(where(pg, (v) => v.state === 'running' && v.inRecovery));
    case 'standby-leader': {
      const rep = minusOff(where(pg, (v) => v.state === 'running' && v.inRecovery));
      const lead = leaderIntervals(h, node);
      return mergeIntervals(rep.flatMap((x) => clipIntervals(lead, x.fromUs, x.toUs)));
    }
    case 'stopped': {
      const running = minusOff(where(pg, (v) => v.state === 'running'));
      return complement(running, h.startUs, h.endUs);
    }
    default:
      return [];
  }
}

function clipOut(x: Interval, holes: readonly Interval[]): Interval[] {
  let parts: Interval[] = [x];
  for (const hole of holes) {
    parts = parts.flatMap((p) => {
      if (hole.toUs <= p.fromUs || hole.fromUs >= p.toUs) return [p];
      const out: Interval[] = [];
      if (hole.fromUs > p.fromUs) out.push({ fromUs: p.fromUs, toUs: hole.fromUs });
      if (hole.toUs < p.toUs) out.push({ fromUs: hole.toUs, toUs: p.toUs });
      return out;
    });
  }
  return parts;
}

function complement(xs: readonly Interval[], from: number, to: number): Interval[] {
  const out: Interval[] = [];
  let t = from;
  for (const x of xs) {
    if (x.fromUs > t) out.push({ fromUs: t, toUs: Math.min(x.fromUs, to) });
    t = Math.max(t, x.toUs);
  }
  if (t < to) out.push({ fromUs: t, toUs: to });
  return out.filter((x) => x.toUs > x.fromUs);
}

/** Every instant at which a node's state, replication or sync setting may change. */
function changePoints(h: History): number[] {
  const pts: number[] = [];
  for (const tracks of [h.pg, h.replication, h.sync, h.power]) for (const spans of Object.values(tracks)) for (const s of spans) pts.push(s.fromUs);
  return pts;
}

/** The timeline a node is on at t: its own when primary, its upstream's (recursively) when streaming. */
export function timelineAt(h: History, node: string, t: number, depth = 0): number | null {
  const st = spanAt(h.pg[node] ?? [], t)?.v;
  if (!st || st.state === 'uninitialized') return null;
  if (st.inRecovery && depth < 5) {
    const rep = spanAt(h.replication[node] ?? [], t)?.v;
    if (rep?.status === 'streaming' && rep.upstream !== null && rep.upstream !== node && h.pg[rep.upstream]) {
      const up = timelineAt(h, rep.upstream, t, depth + 1);
      if (up !== null) return Math.max(up, st.timeline);
    }
  }
  return st.timeline;
}

/** Names listed in synchronous_standby_names ("a", "2 (a,b)", "ANY 1 (a, b)", "FIRST 1 (...)"). */
export function ssnNames(ssn: string): string[] {
  const s = ssn.trim();
  if (s === '') return [];
  const inner = /\(([^)]*)\)/.exec(s)?.[1] ?? s;
  return inner
    .split(',')
    .map((x) => x.trim().replace(/^"|"$/g, ''))
    .filter((x) => x.length > 0);
}

function finalPrimary(h: History): string | null {
  return finalLineage(h).node;
}

// ---- the checks -------------------------------------------------------------------------------

function each(value: unknown, normalize: (v: unknown) => unknown, validateOne: (o: Obj) => string | null): string | null {
  const items = listOf(value);
  if (items.length === 0) return 'expected a map or a list of maps';
  for (const [i, raw] of items.entries()) {
    const v = normalize(raw);
    if (!isObj(v)) return `${items.length > 1 ? `[${i}] ` : ''}expected a map, got ${JSON.stringify(raw)}`;
    const bad = validateOne(v);
    if (bad !== null) return `${items.length > 1 ? `[${i}] ` : ''}${bad}`;
  }
  return null;
}

function evalEach(value: unknown, normalize: (v: unknown) => unknown, one: (o: Obj) => CheckResult): CheckResult {
  const results = listOf(value).map((v) => one(normalize(v) as Obj));
  if (results.length === 1) return results[0] as CheckResult;
  const failed = results.filter((r) => !r.ok);
  return {
    ok: failed.length === 0,
    actual: results.map((r) => (r.actual === null ? '-' : String(r.actual))).join('; '),
    message: failed.map((r) => r.message).join('; '),
  };
}

const asNode = (v: unknown): unknown => (typeof v === 'string' ? { node: v } : v);
const same = (v: unknown): unknown => v;

const ROLES = ['primary', 'not-primary', 'replica', 'standby-leader', 'stopped'] as const;
const WATCHDOG_EVENTS = ['activated', 'fired', 'disabled', 'failed'] as const;

export const STATE_EXPECTATIONS: Record<string, CheckExpectation> = {
  leader: {
    kind: 'check',
    description: 'the node holds the leader key: pg2 (at the end), or { node, within | throughout | never, after, store, scope }',
    validate: (v) =>
      each(v, asNode, (o) => checkKeys(o, ['node', 'store', 'scope']) ?? requireString(o, 'node')),
    evaluate: (v, h) =>
      evalEach(v, asNode, (o) => {
        const node = o.node as string;
        const holds = leaderIntervals(h, node, o.store as string | undefined, o.scope as string | undefined);
        return judgeState(h, o, holds, `${node} holding the leader key`);
      }),
  },
  role: {
    kind: 'check',
    description: 'a node\'s role in ground truth: { node, is: primary | not-primary | replica | standby-leader | stopped, within | throughout | never, after }',
    validate: (v) =>
      each(v, same, (o) => checkKeys(o, ['node', 'is']) ?? requireString(o, 'node') ?? (ROLES.includes(o.is as never) ? null : `is: expected one of ${ROLES.join(', ')}`)),
    evaluate: (v, h) =>
      evalEach(v, same, (o) => {
        const node = o.node as string;
        if (!h.pg[node]) return { ok: false, actual: null, message: `no PostgreSQL node "${node}" in this run` };
        return judgeState(h, o, roleIntervals(h, node, o.is as string), `${node} ${o.is === 'stopped' ? 'stopped' : `as ${o.is as string}`}`);
      }),
  },
  timeline: {
    kind: 'check',
    description: 'a node\'s timeline (a streaming standby\'s is its upstream\'s): { node (default: the final primary), is: <n>, within | throughout | never, after }',
    validate: (v) =>
      each(v, (x) => (typeof x === 'number' ? { is: x } : x), (o) => checkKeys(o, ['node', 'is']) ?? (Number.isInteger(o.is) ? null : 'is: expected a timeline number')),
    evaluate: (v, h) =>
      evalEach(v, (x) => (typeof x === 'number' ? { is: x } : x), (o) => {
        const node = (o.node as string | undefined) ?? finalPrimary(h);
        if (node === null) return { ok: false, actual: null, message: 'no primary at the end of the run to read a timeline from' };
        const holds = piecewise(changePoints(h), h.startUs, h.endUs, (t) => timelineAt(h, node, t) === o.is);
        const r = judgeState(h, o, holds, `${node} on timeline ${String(o.is)}`);
        if (!r.ok && modeOf(o).kind === 'end') r.actual = timelineAt(h, node, h.endUs - 1);
        return r;
      }),
  },
  syncStandbys: {
    kind: 'check',
    description: 'the names in a node\'s synchronous_standby_names: { node (default: the final primary), is: [names] | name | none } or { ssn: "<exact value>" }, with within | throughout | never, after',
    validate: (v) =>
      each(v, same, (o) => {
        const bad = checkKeys(o, ['node', 'is', 'ssn']);
        if (bad) return bad;
        if ((o.is === undefined) === (o.ssn === undefined)) return 'give is (the names) or ssn (the exact value)';
        if (o.ssn !== undefined && typeof o.ssn !== 'string') return 'ssn: expected a string';
        if (o.is !== undefined && !(typeof o.is === 'string' || (Array.isArray(o.is) && o.is.every((x) => typeof x === 'string')))) return 'is: expected a name, a list of names or none';
        return null;
      }),
    evaluate: (v, h) =>
      evalEach(v, same, (o) => {
        const node = (o.node as string | undefined) ?? finalPrimary(h);
        if (node === null) return { ok: false, actual: null, message: 'no primary at the end of the run' };
        const spans = h.sync[node] ?? [];
        let pred: (ssn: string) => boolean;
        let what: string;
        if (typeof o.ssn === 'string') {
          pred = (ssn) => ssn === o.ssn;
          what = `synchronous_standby_names = '${o.ssn}' on ${node}`;
        } else {
          const want = o.is === 'none' ? [] : listOf(o.is).map(String).sort();
          pred = (ssn) => {
            const got = ssnNames(ssn).sort();
            return got.length === want.length && got.every((x, i) => x === want[i]);
          };
          what = `synchronous standbys [${want.join(', ')}] on ${node}`;
        }
        // before its first pg.sync record a server runs with PostgreSQL's default, ''
        const covered = mergeIntervals(spans.map((x) => ({ fromUs: x.fromUs, toUs: x.toUs })));
        const holds = mergeIntervals([...spans.filter((x) => pred(x.v.synchronousStandbyNames)), ...(pred('') ? complement(covered, h.startUs, h.endUs) : [])]);
        const r = judgeState(h, o, holds, what);
        if (!r.ok && modeOf(o).kind === 'end') r.actual = spans[spans.length - 1]?.v.synchronousStandbyNames ?? '';
        return r;
      }),
  },
  upstream: {
    kind: 'check',
    description: 'a standby streams from an upstream: { node, is: <node> | none, within | throughout | never, after }',
    validate: (v) => each(v, same, (o) => checkKeys(o, ['node', 'is']) ?? requireString(o, 'node') ?? requireString(o, 'is')),
    evaluate: (v, h) =>
      evalEach(v, same, (o) => {
        const node = o.node as string;
        const spans = h.replication[node] ?? [];
        const holds =
          o.is === 'none'
            ? complement(where(spans, (x) => x.status === 'streaming'), h.startUs, h.endUs)
            : where(spans, (x) => x.status === 'streaming' && x.upstream === o.is);
        const r = judgeState(h, o, holds, o.is === 'none' ? `${node} not streaming` : `${node} streaming from ${o.is as string}`);
        if (!r.ok && modeOf(o).kind === 'end') {
          const last = spans[spans.length - 1]?.v;
          r.actual = last ? `${last.status} from ${last.upstream ?? '-'}` : 'none';
        }
        return r;
      }),
  },
  log: {
    kind: 'check',
    description: 'a Patroni HA cycle line or warning contains a text: { node?, contains, within | never, after }',
    validate: (v) => each(v, same, (o) => checkKeys(o, ['node', 'contains']) ?? requireString(o, 'contains')),
    evaluate: (v, h) =>
      evalEach(v, same, (o) => {
        const text = o.contains as string;
        const nodes = o.node !== undefined ? [o.node as string] : Object.keys(h.cycles);
        const at: Interval[] = [];
        for (const n of nodes) for (const c of h.cycles[n] ?? []) if (c.v.message.includes(text)) at.push({ fromUs: c.fromUs, toUs: c.lastUs + 1 });
        for (const w of h.warnings) if ((o.node === undefined || w.node === o.node) && w.message.includes(text)) at.push({ fromUs: w.tUs, toUs: w.tUs + 1 });
        return judgeEvents(h, o, mergeIntervals(at), `"${text}" in ${o.node !== undefined ? `${o.node as string}'s` : 'a'} Patroni log`);
      }),
  },
  operation: {
    kind: 'check',
    description: 'an operator action\'s outcome: { kind, ok?, message? (a text it contains), within | never, after }',
    validate: (v) =>
      each(v, same, (o) => {
        const bad = checkKeys(o, ['kind', 'ok', 'message']) ?? requireString(o, 'kind');
        if (bad) return bad;
        if (o.ok !== undefined && typeof o.ok !== 'boolean') return 'ok: expected true or false';
        if (o.message !== undefined && typeof o.message !== 'string') return 'message: expected a text';
        return null;
      }),
    evaluate: (v, h) =>
      evalEach(v, same, (o) => {
        const ops = h.operations.filter((x) => x.operation === o.kind && (o.ok === undefined || x.ok === o.ok) && (o.message === undefined || x.message.includes(o.message as string)));
        const what = `${o.kind as string}${o.ok === undefined ? '' : o.ok ? ' succeeding' : ' refused'}${o.message !== undefined ? ` with "${o.message as string}"` : ''}`;
        const r = judgeEvents(h, o, ops.map((x) => ({ fromUs: x.tUs, toUs: x.tUs + 1 })), what);
        if (!r.ok) {
          const seen = h.operations.filter((x) => x.operation === o.kind).map((x) => `${x.ok ? 'ok' : 'refused'}: ${x.message}`);
          if (seen.length > 0) r.message += ` (seen: ${seen.join(' | ')})`;
        }
        return r;
      }),
  },
  watchdog: {
    kind: 'check',
    description: 'a watchdog event on a node: { node, event: activated | fired | disabled | failed, timeout? (activated with this timeout), within | never, after }',
    validate: (v) =>
      each(v, same, (o) => {
        const bad = checkKeys(o, ['node', 'event', 'timeout']) ?? requireString(o, 'node');
        if (bad) return bad;
        if (!WATCHDOG_EVENTS.includes(o.event as never)) return `event: expected one of ${WATCHDOG_EVENTS.join(', ')}`;
        if (o.timeout !== undefined && parseCheckDuration(o.timeout) === null) return 'timeout: expected a duration ("16s")';
        return null;
      }),
    evaluate: (v, h) =>
      evalEach(v, same, (o) => {
        const timeoutMs = o.timeout !== undefined ? (parseCheckDuration(o.timeout) as number) / 1000 : undefined;
        const ev = h.watchdog.filter((w) => w.node === o.node && w.event === o.event && (timeoutMs === undefined || w.timeoutMs === timeoutMs));
        return judgeEvents(h, o, ev.map((w) => ({ fromUs: w.tUs, toUs: w.tUs + 1 })), `watchdog ${o.event as string}${timeoutMs !== undefined ? ` (${timeoutMs / 1000} s timeout)` : ''} on ${o.node as string}`);
      }),
  },
  clone: {
    kind: 'check',
    description: 'a successful pg_basebackup of a node: { node, source?, within | never, after }',
    validate: (v) => each(v, same, (o) => checkKeys(o, ['node', 'source']) ?? requireString(o, 'node') ?? (o.source !== undefined ? requireString(o, 'source') : null)),
    evaluate: (v, h) =>
      evalEach(v, same, (o) => {
        const ev = h.clones.filter((c) => c.ok && c.node === o.node && (o.source === undefined || c.source === o.source));
        return judgeEvents(h, o, ev.map((c) => ({ fromUs: c.tUs, toUs: c.tUs + 1 })), `a clone of ${o.node as string}${o.source !== undefined ? ` from ${o.source as string}` : ''}`);
      }),
  },
  rewind: {
    kind: 'check',
    description: 'a successful pg_rewind of a node: { node, within | never, after }',
    validate: (v) => each(v, asNode, (o) => checkKeys(o, ['node']) ?? requireString(o, 'node')),
    evaluate: (v, h) =>
      evalEach(v, asNode, (o) => {
        const ev = h.rewinds.filter((r) => r.ok && r.node === o.node);
        return judgeEvents(h, o, ev.map((r) => ({ fromUs: r.tUs, toUs: r.tUs + 1 })), `a pg_rewind of ${o.node as string}`);
      }),
  },
  converged: {
    kind: 'check',
    description: 'true: at the end exactly one writable primary and every other node a running replica streaming on its timeline; false: not so',
    validate: (v) => (typeof v === 'boolean' ? null : 'expected true or false'),
    evaluate: (v, h) => {
      const c = convergence(h);
      const ok = c.converged === v;
      return { ok, actual: c.converged ? 'converged' : c.why, message: ok ? '' : v ? `expected the cluster to converge by the end: ${c.why}` : 'expected the cluster not to converge, but it did' };
    },
  },
};

/** Whether the run ended converged, and if not, why (for messages). */
export function convergence(h: History): { converged: boolean; why: string } {
  const t = h.endUs - 1;
  const primaries = h.pgNodes.filter((n) => coversAt(h.writable[n] ?? [], t));
  if (primaries.length !== 1) return { converged: false, why: primaries.length === 0 ? 'no writable primary at the end' : `${primaries.length} writable primaries at the end (${primaries.join(', ')})` };
  const p = primaries[0] as string;
  const tl = timelineAt(h, p, t);
  for (const n of h.pgNodes) {
    if (n === p) continue;
    const st = spanAt(h.pg[n] ?? [], t)?.v;
    if (!st || st.state !== 'running' || !st.inRecovery) return { converged: false, why: `${n} is ${st ? st.state : 'unknown'}${st && st.state === 'running' ? ' (not in recovery)' : ''} at the end` };
    const rep = spanAt(h.replication[n] ?? [], t)?.v;
    if (rep?.status !== 'streaming') return { converged: false, why: `${n} is not streaming at the end (${rep?.status ?? 'no replication'})` };
    const ntl = timelineAt(h, n, t);
    if (ntl !== tl) return { converged: false, why: `${n} is on timeline ${String(ntl)}, the primary ${p} on ${String(tl)}` };
  }
  return { converged: true, why: '' };
}
