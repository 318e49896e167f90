// The replay's event log: what happened, in order, in one line each — Patroni's HA cycle lines, role
// changes of the servers, the leader key and the DCS quorum, faults and partitions, promotions /
// rewinds / clones, routers, client errors and incidents. Derived from the history and the
// timeline model (src/report), plus the client errors (clientLog.ts).
import type { History } from '../report/history.js';
import type { Timeline } from '../report/timeline.js';
import type { ClientErrorRun } from './clientLog.js';
import { epochText, fmtTime, msToUsExact } from './text.js';

export type LogKind = 'fault' | 'net' | 'dcs' | 'leader' | 'role' | 'agent' | 'event' | 'patroni' | 'router' | 'client' | 'warning' | 'incident';

/** How an entry reads: good news, bad news, a warning, or plain. */
export type LogTone = 'plain' | 'good' | 'warn' | 'bad';

export interface LogEntry {
  tUs: number;
  kind: LogKind;
  /** Who it is about, for the log's second column: a node, a store, a client, "fault", "net"... */
  who: string;
  /** The Patroni/PostgreSQL nodes it concerns (empty: the whole cluster); focus filters on it. */
  nodes: string[];
  text: string;
  tone: LogTone;
}

const KIND_ORDER: Record<LogKind, number> = {
  fault: 0,
  net: 1,
  dcs: 2,
  leader: 3,
  role: 4,
  agent: 5,
  event: 6,
  patroni: 7,
  router: 8,
  client: 9,
  warning: 10,
  incident: 11,
};

const ROLE_TONE: Partial<Record<string, LogTone>> = {
  primary: 'good',
  'standby-leader': 'good',
  demoting: 'warn',
  stopping: 'warn',
  diverged: 'bad',
  crashed: 'bad',
  down: 'bad',
};

export function buildEventLog(h: History, t: Timeline, clientRuns: readonly ClientErrorRun[]): LogEntry[] {
  const out: LogEntry[] = [];
  const endUs = msToUsExact(t.endMs);
  const add = (tUs: number, kind: LogKind, who: string, nodes: string[], text: string, tone: LogTone = 'plain'): void => {
    out.push({ tUs, kind, who, nodes, text, tone });
  };
  // Patroni's HA cycle lines (run-length encoded by the history)
  for (const node of h.pgNodes) {
    for (const c of h.cycles[node] ?? []) {
      const text = c.count > 1 ? `${c.v.message} (×${c.count} to ${fmtTime(c.lastUs)})` : c.v.message;
      add(c.fromUs, 'patroni', node, [node], text, /demot|fail|error|not accessible|can ?not/i.test(c.v.message) ? 'warn' : 'plain');
    }
  }
  // role changes, with the server's own reason ("fast shutdown", "promoted")
  for (const n of t.nodes) {
    const pg = h.pg[n.name] ?? [];
    for (const s of n.role) {
      const tUs = msToUsExact(s.fromMs);
      const reason = pg.find((p) => p.fromUs <= tUs && tUs < p.toUs)?.v.reason;
      add(tUs, 'role', n.name, [n.name], `→ ${s.label}${reason ? ` (${reason})` : ''}`, ROLE_TONE[s.kind] ?? 'plain');
    }
    for (const a of n.agent) {
      add(msToUsExact(a.fromMs), 'agent', n.name, [n.name], `Patroni ${a.kind}`, 'warn');
      const to = msToUsExact(a.toMs);
      if (to < endUs) add(to, 'agent', n.name, [n.name], 'Patroni running again');
    }
  }
  const nodeSet = new Set(t.nodes.map((n) => n.name));
  for (const l of t.leader) {
    for (const s of l.segments) {
      const holder = s.kind === 'held' ? s.label : null;
      // who holds the key matters whichever node is in focus: the entry is about the cluster
      add(msToUsExact(s.fromMs), 'leader', l.store, [], holder !== null ? `leader key held by ${holder}` : `leader key: ${s.label}`, holder !== null ? 'good' : 'warn');
    }
  }
  for (const q of t.quorum) {
    for (const s of q.segments) add(msToUsExact(s.fromMs), 'dcs', q.store, [], s.kind === 'ok' ? s.label : 'no quorum: the store cannot commit', s.kind === 'ok' ? 'plain' : 'bad');
  }
  for (const f of t.faults) {
    add(msToUsExact(f.fromMs), 'fault', 'fault', [], `${f.label} begins`, 'warn');
    const to = msToUsExact(f.toMs);
    if (to < endUs) add(to, 'fault', 'fault', [], `${f.label} ends`);
  }
  t.partitions.forEach((p, i) => {
    add(msToUsExact(p.fromMs), 'net', 'net', [], epochText(p), 'warn');
    const next = t.partitions[i + 1];
    const to = msToUsExact(p.toMs);
    if (to < endUs && (!next || next.fromMs !== p.toMs)) add(to, 'net', 'net', [], 'every host reaches every other again', 'good');
  });
  for (const e of t.events) {
    const tone: LogTone = e.kind === 'watchdog' ? 'warn' : e.kind === 'promote' ? 'good' : /fail|lost|refused/.test(e.text) ? 'bad' : 'plain';
    add(msToUsExact(e.tMs), 'event', e.node ?? e.kind, e.node !== undefined ? [e.node] : [], e.text, tone);
  }
  for (const [router, spans] of Object.entries(h.routers)) {
    for (const s of spans) add(s.fromUs, 'router', router, s.v.target !== null && nodeSet.has(s.v.target) ? [s.v.target] : [], `routes to ${s.v.target ?? 'nobody'} (${s.v.reason})`, s.v.target === null ? 'warn' : 'plain');
  }
  for (const w of h.warnings) add(w.tUs, 'warning', w.node ?? 'patroni', w.node !== undefined ? [w.node] : [], `warning: ${w.message}`, 'warn');
  for (const r of clientRuns) {
    const what = r.outcome === 'fail' ? 'failed' : 'outcome unknown';
    const times = r.count > 1 ? ` (×${r.count} to ${fmtTime(r.lastUs)})` : '';
    add(r.fromUs, 'client', r.client, r.node !== undefined && nodeSet.has(r.node) ? [r.node] : [], `${what}${r.node !== undefined ? ` on ${r.node}` : ''}: ${r.error}${times}`, r.outcome === 'fail' ? 'bad' : 'warn');
  }
  for (const i of t.incidents) add(msToUsExact(i.fromMs), 'incident', 'INCIDENT', [...i.nodes], `${i.id} (${i.severity}): ${i.explanation}`, i.severity === 'info' ? 'warn' : 'bad');
  return out
    .map((e, i) => ({ e, i }))
    .sort((a, b) => a.e.tUs - b.e.tUs || KIND_ORDER[a.e.kind] - KIND_ORDER[b.e.kind] || a.i - b.i)
    .map((x) => x.e);
}

/** The entries a focus on `node` shows: the node's own, and those about the whole cluster. */
export function visibleEntries(log: readonly LogEntry[], focus: string | null): readonly LogEntry[] {
  if (focus === null) return log;
  return log.filter((e) => e.nodes.length === 0 || e.nodes.includes(focus));
}
