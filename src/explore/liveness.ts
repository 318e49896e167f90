// Liveness after the chaos (TigerBeetle's VOPR: safety, then liveness). Once the core is healed —
// a DCS quorum, a majority of the database nodes and every client host (src/explore/schedule.ts) —
// the cluster must converge within a budget: exactly one writable primary among the core nodes,
// holding the leader key; every other core node a running standby streaming from a core node;
// and the clients' writes succeeding again. Convergence is judged from the run's history (pure,
// like the detectors), from the heal to the end of the run, and must hold without interruption
// from the instant it is reached to the end.
//
// A cluster that has not converged by the end is a stall, classified as legitimate (Patroni's
// rules hold it back by design: no DCS quorum, pause mode, synchronous mode without a synchronous
// standby to promote, a diverged replica that needs pg_rewind or reinit and is not allowed either,
// recovery still under way) or as a misjudgment. The no-primary case reuses the missed-failover
// detector's verdict (src/report/detectors/missedFailover.ts) rather than judging it twice.
import type { Analysis } from '../report/analyze.js';
import { maintenanceModeAt, pgAt, quorumLost } from '../report/detectors/evidence.js';
import { coversAt, spanAt } from '../report/intervals.js';
import type { History } from '../report/history.js';

export interface LivenessOptions {
  /** The core's database nodes (default: every node). */
  coreNodes?: readonly string[];
  /** When the core was healed (default: the converge phase's start). */
  healUs?: number;
  /** Convergence must be reached within this long after the heal (default: converge window − settle). */
  budgetUs?: number;
}

export type StallVerdict = 'legitimate' | 'misjudgment';

export interface LivenessResult {
  /** Converged within the budget and stayed so to the end of the run. */
  ok: boolean;
  /** Converged at some point and stayed so to the end (perhaps after the budget). */
  converged: boolean;
  healMs: number;
  budgetMs: number;
  /** When convergence began (held from here to the end), ms of true time; null if never. */
  convergedAtMs: number | null;
  /** convergedAtMs − healMs. */
  recoveryMs: number | null;
  primary: string | null;
  coreNodes: string[];
  /** Set when not ok: what was still wrong at the end, and whether Patroni's rules explain it. */
  stall?: { verdict: StallVerdict; problems: string[]; reasons: string[] };
}

interface Check {
  ok: boolean;
  primary: string | null;
  problems: string[];
}

/** The settling time the default budget leaves at the end of the converge window: 2 × loop_wait, at least 10 s. */
export function settleUs(h: History): number {
  return Math.max(10_000_000, 2 * h.settings.loopWaitS * 1_000_000);
}

function writable(h: History, n: string, t: number): boolean {
  return coversAt(h.writable[n] ?? [], t);
}

function leaderHolder(h: History, t: number): string | null | undefined {
  let seen: string | null | undefined;
  for (const [key, spans] of Object.entries(h.leader)) {
    if (key.includes('@')) continue;
    const s = spanAt(spans, t);
    if (s) {
      if (s.v.holder !== null) return s.v.holder;
      seen = null;
    }
  }
  return seen;
}

/**
 * The structural conditions at t (clients are judged separately, over the run's writes). The
 * primary is the leader-key holder when it is writable (any node: a healthy node outside the core
 * may well keep the key); without a leader key in the history, the only writable node.
 */
function structural(a: Analysis, core: readonly string[], t: number): Check {
  const h = a.history;
  const problems: string[] = [];
  const writableNodes = h.pgNodes.filter((n) => writable(h, n, t));
  const holder = leaderHolder(h, t);
  let primary: string | null = null;
  if (holder !== undefined && holder !== null && writableNodes.includes(holder)) primary = holder;
  else if (holder === undefined && writableNodes.length === 1) primary = writableNodes[0] as string;
  if (primary === null) {
    const w = writableNodes.length === 0 ? 'no node is writable' : `writable: ${writableNodes.join(', ')}`;
    problems.push(`no writable primary holding the leader key (${w}; the key names ${holder ?? 'nobody'})`);
  }
  for (const r of core) {
    if (r === primary) continue;
    const st = pgAt(a.context, r, t);
    if (!st || st.state !== 'running') {
      problems.push(`${r}: PostgreSQL ${st ? st.state : 'unknown'}`);
      continue;
    }
    if (!st.inRecovery) {
      if (primary !== null) problems.push(`${r}: writable next to the primary ${primary}`);
      continue;
    }
    const rep = spanAt(h.replication[r] ?? [], t)?.v;
    if (!rep || rep.status !== 'streaming') problems.push(`${r}: replication ${rep ? rep.status : 'not started'}${rep?.reason ? ` (${rep.reason})` : ''}`);
  }
  return { ok: problems.length === 0, primary, problems };
}

/** Instants in [fromUs, toUs) where anything the conditions read may change. */
function changePoints(a: Analysis, fromUs: number, toUs: number): number[] {
  const h = a.history;
  const pts = new Set<number>([fromUs]);
  const add = (t: number): void => {
    if (t > fromUs && t < toUs) pts.add(t);
  };
  for (const t of a.context.truth.changePoints()) add(t);
  for (const spans of [...Object.values(h.pg), ...Object.values(h.replication), ...Object.values(h.leader)]) {
    for (const s of spans) {
      add(s.fromUs);
      add(s.toUs);
    }
  }
  for (const ivs of Object.values(h.writable)) {
    for (const iv of ivs) {
      add(iv.fromUs);
      add(iv.toUs);
    }
  }
  return [...pts].sort((x, y) => x - y);
}

export function judgeLiveness(a: Analysis, opts: LivenessOptions = {}): LivenessResult {
  const h = a.history;
  const core = [...(opts.coreNodes ?? h.pgNodes)];
  const convergePhase = h.phases.find((p) => p.phase === 'converge')?.tUs;
  const healUs = opts.healUs ?? convergePhase ?? h.endUs;
  const endUs = h.endUs;
  const budgetUs = opts.budgetUs ?? Math.max(0, endUs - healUs - settleUs(h));
  const base = { healMs: healUs / 1000, budgetMs: budgetUs / 1000, coreNodes: core };

  // structural convergence: the last instant from which the conditions hold to the end
  const pts = changePoints(a, healUs, endUs);
  let since: number | null = null;
  let last: Check = { ok: false, primary: null, problems: ['the run ended at the heal'] };
  for (const t of pts) {
    const c = structural(a, core, t);
    last = c;
    if (c.ok) since ??= t;
    else since = null;
  }
  const endCheck = pts.length > 0 ? structural(a, core, Math.max(healUs, endUs - 1)) : last;

  // clients: every write from convergence on succeeds (writes still open near the end of the run
  // are not judged), and at least one is acknowledged
  let clientsOkAt: number | null = since;
  const problems = [...endCheck.problems];
  if (since !== null) {
    const marginUs = Math.max(10_000_000, h.settings.loopWaitS * 1_000_000);
    const judgedUntil = endUs - marginUs;
    let start = since;
    let anyWrites = false;
    let lastBad: number | null = null;
    for (const w of h.writes.rows()) {
      if (Number.isNaN(w.invokeUs)) continue;
      anyWrites = true;
      if (w.invokeUs >= judgedUntil || w.outcome === 'ok') continue;
      const done = Number.isNaN(w.completeUs) ? endUs : w.completeUs;
      if (done > start) {
        start = done;
        lastBad = done;
      }
    }
    if (anyWrites) {
      let firstAck = Number.POSITIVE_INFINITY;
      for (const w of h.writes.rows()) {
        if (w.outcome === 'ok' && w.invokeUs >= start && w.completeUs < firstAck) firstAck = w.completeUs;
      }
      if (!Number.isFinite(firstAck)) {
        clientsOkAt = null;
        problems.push(lastBad !== null ? `client writes failed until ${lastBad / 1e6} s and none was acknowledged after` : 'no client write was acknowledged after the cluster converged');
      } else clientsOkAt = firstAck;
    }
  }

  const converged = clientsOkAt !== null;
  const recoveryUs = clientsOkAt !== null ? clientsOkAt - healUs : null;
  const ok = converged && (recoveryUs as number) <= budgetUs;
  const result: LivenessResult = {
    ok,
    converged,
    ...base,
    convergedAtMs: clientsOkAt !== null ? clientsOkAt / 1000 : null,
    recoveryMs: recoveryUs !== null ? recoveryUs / 1000 : null,
    primary: endCheck.primary,
  };
  if (!ok) {
    const late = converged ? [`converged ${(recoveryUs as number) / 1e6} s after the heal, over the budget of ${budgetUs / 1e6} s`] : [];
    result.stall = classify(a, core, healUs, endUs, [...late, ...problems], endCheck);
  }
  return result;
}

/** Why the cluster had not converged: Patroni's rules (legitimate) or a misjudgment. */
function classify(a: Analysis, core: readonly string[], healUs: number, endUs: number, problems: string[], end: Check): NonNullable<LivenessResult['stall']> {
  const h = a.history;
  const ctx = a.context;
  const t = Math.max(healUs, endUs - 1);
  const reasons: string[] = [];
  const s = h.settings;
  const pgSettings = (h.meta.patroni.postgresql ?? {}) as Record<string, unknown>;
  const rewindAllowed = pgSettings.use_pg_rewind === true || pgSettings.use_pg_rewind === 'on' || pgSettings.use_pg_rewind === 'true';
  const removeAllowed = pgSettings.remove_data_directory_on_rewind_failure === true || pgSettings.remove_data_directory_on_diverged_timelines === true;

  // no primary: the missed-failover detector already judged the unavailability window
  if (end.primary === null) {
    const mf = a.result.incidents.find((i) => i.kind === 'missed-failover' && i.endMs * 1000 >= t && i.startMs * 1000 <= t);
    if (mf) {
      const verdict = mf.details.verdict === 'legitimate' ? 'legitimate' : 'misjudgment';
      const rs = Array.isArray(mf.details.reasons) ? (mf.details.reasons as string[]) : [mf.explanation];
      return { verdict, problems, reasons: verdict === 'legitimate' ? rs : [mf.explanation] };
    }
    if (maintenanceModeAt(ctx, t)) reasons.push('the cluster is in maintenance mode (pause): Patroni promotes nobody');
    const q = quorumLost(ctx, t, t + 1);
    if (q.length > 0) reasons.push(`the DCS (${(q[0] as { store: string }).store}) has no quorum`);
    if (s.synchronousMode !== 'off') reasons.push(`synchronous_mode${s.synchronousModeStrict ? '_strict' : ''}: only a synchronous standby may be promoted`);
  }
  // replicas still recovering, or diverged without a way back Patroni may take by itself
  for (const r of core) {
    if (r === end.primary) continue;
    const st = pgAt(ctx, r, t);
    if (st && (st.state === 'rewinding' || st.state === 'cloning' || st.state === 'starting' || st.state === 'crash-recovery')) {
      reasons.push(`${r} is still ${st.state === 'cloning' ? 'being re-cloned (pg_basebackup)' : st.state === 'rewinding' ? 'running pg_rewind' : st.state === 'starting' ? 'starting' : 'in crash recovery'}`);
    }
    const rep = spanAt(h.replication[r] ?? [], t)?.v;
    if (rep?.status === 'diverged' && !rewindAllowed && !removeAllowed) {
      reasons.push(`${r} diverged from the new timeline and use_pg_rewind is off: Patroni leaves it for an operator (patronictl reinit)`);
    }
    if (s.nodes[r]?.nofailover && end.primary === null) reasons.push(`${r} is tagged nofailover`);
  }
  if (end.primary !== null && s.synchronousModeStrict && problems.some((p) => p.startsWith('client writes failed') || p.startsWith('no client write'))) {
    reasons.push('synchronous_mode_strict: commits wait for a synchronous standby');
  }
  return { verdict: reasons.length > 0 ? 'legitimate' : 'misjudgment', problems, reasons };
}
