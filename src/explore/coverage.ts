// Coverage of an exploration: which fault kinds hit which part of the cluster in which cluster
// state ("pause of the primary's Patroni while it holds the leader key", "partition while the
// synchronous standby lags", "DCS leader change during a switchover"). Counted per run from the
// schedule and the run's history (pure, like the detectors), summed over a check, and printed with
// the cells that were never reached, so a user sees what was and was not explored.
import type { Analysis } from '../report/analyze.js';
import { dcsLeaderChanges, faultNames, maintenanceModeAt, operationKind, pgAt, quorumLost } from '../report/detectors/evidence.js';
import type { FaultSpan } from '../report/history.js';
import { coversAt, spanAt } from '../report/intervals.js';
import { parseSyncStandbyNames } from '../sim/patroni/ssn.js';
import type { ScheduledEntry } from './schedule.js';

/** What a fault hit, judged when it fired. */
export const TARGETS = ['primary', 'sync-standby', 'replica', 'dcs-leader', 'dcs-member', 'client', 'cluster'] as const;
export type CoverageTarget = (typeof TARGETS)[number];

/** Cluster states a fault can meet (when it fires) or cause (while it lasts). */
export const STATES = {
  steady: 'one primary holding the leader key, every replica streaming',
  'primary-holds-lock': 'the primary holds the leader key',
  'no-primary': 'no writable primary (an election or recovery under way)',
  'sync-standby-lags': 'synchronous mode, and the synchronous standby lags the primary',
  'replica-lags': 'a replica lags the primary by more than maximum_lag_on_failover',
  'switchover-in-progress': 'a switchover was requested and has not completed',
  'recent-failover': 'a promotion happened within the last ttl',
  'replica-rebuilding': 'a node runs pg_rewind, pg_basebackup or crash recovery',
  'primary-agent-down': "the primary's Patroni is paused, stopped or dead",
  'dcs-no-quorum': 'the DCS has no quorum',
  'maintenance-mode': 'the cluster is paused (maintenance mode)',
  'during:dcs-leader-change': 'the DCS leader changed while the fault lasted',
  'during:promotion': 'a promotion happened while the fault lasted',
  'during:watchdog-fired': 'a watchdog fired while the fault lasted',
} as const;
export type CoverageState = keyof typeof STATES;
export const STATE_NAMES = Object.keys(STATES) as CoverageState[];

/** Counts per "kind target" row and per state: cells["pause primary"]["primary-holds-lock"] = 3. */
export interface Coverage {
  runs: number;
  faults: number;
  /** Faults whose targets did not exist when they fired (e.g. @sync without a sync standby). */
  skipped: number;
  cells: Record<string, Record<string, number>>;
}

export function emptyCoverage(): Coverage {
  return { runs: 0, faults: 0, skipped: 0, cells: {} };
}

export function mergeCoverage(into: Coverage, add: Coverage): Coverage {
  into.runs += add.runs;
  into.faults += add.faults;
  into.skipped += add.skipped;
  for (const [row, states] of Object.entries(add.cells)) {
    const r = (into.cells[row] ??= {});
    for (const [st, n] of Object.entries(states)) r[st] = (r[st] ?? 0) + n;
  }
  return into;
}

const LAG_BYTES = 64 * 1024;

function primaryAt(a: Analysis, t: number): string | null {
  const h = a.history;
  const w = h.pgNodes.filter((n) => coversAt(h.writable[n] ?? [], t));
  return w.length === 1 ? (w[0] as string) : null;
}

function holderAt(a: Analysis, t: number): string | null {
  for (const [key, spans] of Object.entries(a.history.leader)) {
    if (key.includes('@')) continue;
    const s = spanAt(spans, t);
    if (s?.v.holder) return s.v.holder;
  }
  return null;
}

function positionAt(a: Analysis, node: string, t: number): { flush: number; replica: number | null } | null {
  let last: { flush: number; replica: number | null } | null = null;
  for (const s of a.history.lsn[node] ?? []) {
    if (s.tUs > t) break;
    last = { flush: s.flushLsn, replica: s.replayLsn ?? s.receiveLsn ?? null };
  }
  return last;
}

function syncStandbys(a: Analysis, primary: string, t: number): string[] {
  const ssn = spanAt(a.history.sync[primary] ?? [], t)?.v.synchronousStandbyNames;
  if (!ssn) return [];
  try {
    const members = [...parseSyncStandbyNames(ssn).members].map((m) => m.toLowerCase());
    if (members.includes('*')) return a.history.pgNodes.filter((n) => n !== primary);
    return a.history.pgNodes.filter((n) => members.includes(n.toLowerCase()));
  } catch {
    return [];
  }
}

function dcsLeaderHost(a: Analysis, t: number): string | null {
  for (const spans of Object.values(a.history.quorum)) {
    const leader = spanAt(spans, t)?.v.leader;
    if (leader) return a.history.meta.dcsMembers.find((m) => m.name === leader)?.host ?? leader;
  }
  return null;
}

/** The states at t (and during [t, toUs)). */
export function statesAt(a: Analysis, t: number, toUs: number): CoverageState[] {
  const h = a.history;
  const ctx = a.context;
  const out: CoverageState[] = [];
  const primary = primaryAt(a, t);
  const holder = holderAt(a, t);
  if (primary === null) out.push('no-primary');
  else if (holder === primary) out.push('primary-holds-lock');
  let allStreaming = primary !== null && holder === primary;
  let rebuilding = false;
  let lagging = false;
  const primaryPos = primary ? positionAt(a, primary, t) : null;
  for (const n of h.pgNodes) {
    if (n === primary) continue;
    const st = pgAt(ctx, n, t);
    if (st && (st.state === 'rewinding' || st.state === 'cloning' || st.state === 'crash-recovery')) rebuilding = true;
    const rep = spanAt(h.replication[n] ?? [], t)?.v;
    if (rep?.status !== 'streaming') allStreaming = false;
    const pos = positionAt(a, n, t);
    if (primaryPos && pos?.replica !== null && pos !== null && primaryPos.flush - (pos.replica ?? 0) > h.settings.maximumLagOnFailoverBytes) lagging = true;
  }
  if (allStreaming) out.push('steady');
  if (primary !== null && h.settings.synchronousMode !== 'off') {
    for (const s of syncStandbys(a, primary, t)) {
      const pos = positionAt(a, s, t);
      if (primaryPos && pos && pos.replica !== null && primaryPos.flush - pos.replica > LAG_BYTES) {
        out.push('sync-standby-lags');
        break;
      }
    }
  }
  if (lagging) out.push('replica-lags');
  const ttlUs = h.settings.ttlS * 1e6;
  const switchovers = h.operations.filter((o) => o.ok && operationKind(o) === 'switchover' && o.tUs <= t && t - o.tUs < ttlUs + h.settings.loopWaitS * 1e6);
  if (switchovers.some((o) => !h.branches.some((b) => b.promoted && b.atUs >= o.tUs && b.atUs <= t))) out.push('switchover-in-progress');
  if (h.branches.some((b) => b.promoted && b.atUs <= t && t - b.atUs < ttlUs)) out.push('recent-failover');
  if (rebuilding) out.push('replica-rebuilding');
  const agentHolder = primary ?? holder;
  if (agentHolder !== null) {
    const ps = ctx.truth.patroniState(agentHolder, t);
    if (ps !== undefined && ps !== 'running') out.push('primary-agent-down');
  }
  if (quorumLost(ctx, t, t + 1).length > 0) out.push('dcs-no-quorum');
  if (maintenanceModeAt(ctx, t)) out.push('maintenance-mode');
  const end = Math.min(toUs, h.endUs);
  if (dcsLeaderChanges(ctx, t, end).length > 0) out.push('during:dcs-leader-change');
  if (h.branches.some((b) => b.promoted && b.atUs >= t && b.atUs <= end)) out.push('during:promotion');
  if (h.watchdog.some((w) => w.event === 'fired' && w.tUs >= t && w.tUs <= end)) out.push('during:watchdog-fired');
  return out;
}

/** What a fault hit when it fired: the most significant role among the hosts its description names. */
export function targetOf(a: Analysis, f: FaultSpan, t: number): CoverageTarget {
  const h = a.history;
  const named = (host: string): boolean => faultNames(f, host);
  const primary = primaryAt(a, t) ?? holderAt(a, t);
  if (primary !== null && named(primary)) return 'primary';
  if (primary !== null && syncStandbys(a, primary, t).some(named)) return 'sync-standby';
  if (h.pgNodes.some(named)) return 'replica';
  const leaderHost = dcsLeaderHost(a, t);
  if (leaderHost !== null && named(leaderHost)) return 'dcs-leader';
  if (h.meta.dcsMembers.some((m) => named(m.host) || named(m.name))) return 'dcs-member';
  if (h.meta.clients.some((c) => c.host !== null && named(c.host))) return 'client';
  return 'cluster';
}

/** The coverage of one run of a schedule. */
export function coverageOf(a: Analysis, entries: readonly ScheduledEntry[]): Coverage {
  const cov: Coverage = { runs: 1, faults: entries.length, skipped: 0, cells: {} };
  const byId = new Map<string, FaultSpan[]>();
  for (const f of a.history.faults) {
    const base = f.id.replace(/\.\d+$/, '');
    const l = byId.get(base) ?? [];
    l.push(f);
    byId.set(base, l);
  }
  for (const e of entries) {
    const spans = (byId.get(e.id) ?? []).sort((x, y) => x.fromUs - y.fromUs);
    const first = spans[0];
    if (!first) {
      cov.skipped++;
      continue;
    }
    const t = first.fromUs;
    const to = Math.max(...spans.map((s) => (Number.isFinite(s.toUs) ? s.toUs : a.history.endUs)));
    const targets = new Set(spans.map((s) => targetOf(a, s, t)));
    const target = TARGETS.find((x) => targets.has(x)) ?? 'cluster';
    const row = `${e.action.kind} ${target}`;
    const r = (cov.cells[row] ??= {});
    for (const st of statesAt(a, t, to)) r[st] = (r[st] ?? 0) + 1;
  }
  return cov;
}

/** A coverage table for the terminal: rows "kind target", columns the states (abbreviated). */
export function coverageTable(cov: Coverage): string {
  const rows = Object.keys(cov.cells).sort();
  const cols = STATE_NAMES;
  const abbrev = (s: string): string => s.replace('during:', '~').replace('primary', 'prim').replace('standby', 'stby').replace('replica', 'repl').replace('-in-progress', '').replace('maintenance-mode', 'paused');
  const w = Math.max(12, ...rows.map((r) => r.length));
  const head = `${'fault / target'.padEnd(w)}  ${cols.map((c) => abbrev(c)).join('  ')}`;
  const lines = [head];
  for (const r of rows) {
    const cells = cols.map((c) => String(cov.cells[r]?.[c] ?? '·').padStart(abbrev(c).length));
    lines.push(`${r.padEnd(w)}  ${cells.join('  ')}`);
  }
  const reached = new Set(rows.flatMap((r) => Object.keys(cov.cells[r] ?? {})));
  const never = cols.filter((c) => !reached.has(c));
  lines.push('');
  lines.push(`${cov.faults} faults in ${cov.runs} runs (${cov.skipped} skipped: their targets did not exist when they fired)`);
  if (never.length > 0) lines.push(`never reached: ${never.map((c) => `${c} (${STATES[c]})`).join('; ')}`);
  return `${lines.join('\n')}\n`;
}
