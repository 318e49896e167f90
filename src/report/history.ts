// The history builder: one streaming pass over the trace records that keeps the compact, plain-data
// indexes the detectors read — role intervals per node, the leader key, timeline branches, the write
// index, rewinds / clones / crash recoveries, faults and cut lists, process and host states,
// Patroni's cycle log (run-length encoded) — and nothing per message or per repeated sample.
// Use it as a trace listener (`trace.subscribe(b.push)`) or feed it records; `finish()` returns
// the `History`. Memory follows what the detectors need (one row per client write, one span per
// change of state), not the number of records.
import type { TraceRecord } from '../sim/kernel/trace.js';
import type { PgServerState } from '../sim/history/records.js';
import type { ProcState } from '../sim/host/process.js';
import '../sim/history/records.js';
import type {} from '../sim/host/host.js';
import type {} from '../sim/net/network.js';
import type {} from '../sim/faults/nemesis.js';
import type { PgNodeSnapshot } from '../sim/pg/records.js';
import { SpanTrack, mergeIntervals, subtractIntervals, where, type Interval, type Span } from './intervals.js';
import { patroniSettings, type PatroniSettings, type WatchdogMode } from './settings.js';
import { WriteTable } from './writes.js';

export interface PgStateValue {
  state: PgServerState;
  inRecovery: boolean;
  timeline: number;
  branch: number;
  reason?: string;
}

/** A timeline branch: created by a promotion, or a root (initdb) seen without one. */
export interface BranchInfo {
  branch: number;
  timeline: number;
  /** null for a root branch. */
  parentBranch: number | null;
  /** Where it forked from its parent (0 for a root). */
  switchLsn: number;
  /** The node that created it (promoted, or first seen on a root). */
  node: string;
  atUs: number;
  /** Created by a promotion (`pg.promote`); false for roots and silent forks. */
  promoted: boolean;
  /** Why (pg.branch reason): "promote", "initdb", a silent fork after losing an unflushed tail... */
  reason?: string;
}

export interface RewindEvent {
  tUs: number;
  node: string;
  ok: boolean;
  fromBranch: number;
  toBranch: number;
  forkLsn: number;
  discardedUpToLsn: number;
  reason?: string;
}

export interface CloneEvent {
  tUs: number;
  node: string;
  source: string;
  ok: boolean;
  /** The branch the node was on before the clone (from the record, else its last pg.state). */
  discardedBranch: number | null;
  discardedUpToLsn?: number;
}

export interface RecoveryEvent {
  tUs: number;
  node: string;
  branch: number | null;
  replayedToLsn: number;
  lostFromLsn?: number;
  /** Write ids (committed on this node, this branch) that the recovery discarded. */
  lostWrites: number[];
}

export interface ReplicationValue {
  upstream: string | null;
  status: 'streaming' | 'stopped' | 'diverged' | 'connecting';
  reason?: string;
}

export interface SyncValue {
  synchronousStandbyNames: string;
  synchronousCommit: string;
}

export interface LsnSample {
  tUs: number;
  flushLsn: number;
  receiveLsn?: number;
  replayLsn?: number;
  /** The node's branch when sampled (from its pg.state), or -1. */
  branch: number;
}

export interface LeaderValue {
  holder: string | null;
  reason: string;
  expiresAtUs?: number;
}

/** A continuous grant of the leader key to one holder (renewals merged). */
export interface Grant extends Interval {
  store: string;
  server?: string;
  holder: string;
}

export interface QuorumValue {
  ok: boolean;
  leader?: string | null;
  term?: number;
}

export interface FaultSpan extends Interval {
  id: string;
  kind: string;
  what: string;
}

export interface NetFaultSpan extends Interval {
  id: string;
  fault: string;
  /** Directed cuts "from>to" (host names). */
  cuts: readonly string[];
}

export interface CycleValue {
  message: string;
  hasLock: boolean;
  role: string;
  paused: boolean;
}

/** A run of identical Patroni cycle lines. */
export interface CycleSpan extends Span<CycleValue> {
  count: number;
  lastUs: number;
}

export interface WatchdogEvent {
  tUs: number;
  node: string;
  event: 'activated' | 'disabled' | 'fired' | 'failed';
  timeoutMs?: number;
}

export interface OperationEvent {
  tUs: number;
  node?: string;
  operation: string;
  ok: boolean;
  message: string;
}

export interface WarningEvent {
  tUs: number;
  node?: string;
  message: string;
}

export interface ClockEvent {
  tUs: number;
  host: string;
  offsetUs: number;
  driftPpm: number;
  reason: string;
}

/** Consecutive stale reads by one client from one server. */
export interface StaleReadEpisode extends Interval {
  client: string;
  node: string;
  reads: number;
  /** Largest gap, in writes, between the newest acknowledged write and what a read saw. */
  maxWritesBehind: number;
  /** Newest write id the episode's reads saw (-1: none). */
  lastSawWriteId: number;
}

/** Client outcomes per time bucket (for lanes). */
export interface ClientBucket {
  tUs: number;
  widthUs: number;
  ok: number;
  fail: number;
  info: number;
}

export interface RunMeta {
  scenario: string;
  seed: string;
  dcsBackend: string;
  /** The members of the run's (first) store; `dcsMembersOf` gives the store of a given node. */
  dcsMembers: { name: string; host: string }[];
  /** Every store of the run, when the run named them (several clusters, each with its own). */
  dcsStores: { name: string; backend: string; members: { name: string; host: string }[] }[];
  /** The store each PostgreSQL node's Patroni talks to, when the run said. */
  nodeStore: Record<string, string>;
  clients: { name: string; host: string | null }[];
  hosts: { name: string; domains: string[] }[];
  patroni: Record<string, unknown>;
  endReason: string | null;
  /** Whether a run.start record was seen. */
  started: boolean;
}

export interface History {
  meta: RunMeta;
  settings: PatroniSettings;
  startUs: number;
  endUs: number;
  recordCount: number;
  phases: { phase: string; tUs: number }[];
  pgNodes: string[];
  pg: Record<string, Span<PgStateValue>[]>;
  /** Writable primary (running && !inRecovery, host powered), per node. */
  writable: Record<string, Interval[]>;
  branches: BranchInfo[];
  writes: WriteTable;
  rewinds: RewindEvent[];
  clones: CloneEvent[];
  recoveries: RecoveryEvent[];
  replication: Record<string, Span<ReplicationValue>[]>;
  sync: Record<string, Span<SyncValue>[]>;
  lsn: Record<string, LsnSample[]>;
  /** Leader-key holder per store (and per server for stores without one authority: "store@server"). */
  leader: Record<string, Span<LeaderValue>[]>;
  grants: Grant[];
  quorum: Record<string, Span<QuorumValue>[]>;
  faults: FaultSpan[];
  netFaults: NetFaultSpan[];
  procs: Record<string, Span<ProcState>[]>;
  power: Record<string, Span<boolean>[]>;
  clocks: ClockEvent[];
  cycles: Record<string, CycleSpan[]>;
  watchdog: WatchdogEvent[];
  operations: OperationEvent[];
  warnings: WarningEvent[];
  routers: Record<string, Span<{ target: string | null; reason: string }>[]>;
  staleReads: StaleReadEpisode[];
  reads: { ok: number; fail: number; info: number; stale: number };
  clientBuckets: ClientBucket[];
  /** The last `pg.snapshot` (every node's WAL tip at the end of the run), if the run emitted one. */
  snapshot: { tUs: number; reason: string; nodes: PgNodeSnapshot[] } | null;
  /** Commits whose synchronous-replication wait was cancelled or terminated (locally visible, maybe unreplicated). */
  syncWaitsAbandoned: { tUs: number; node: string; writeId: number; outcome: 'cancelled' | 'terminated' }[];
}

// ---- small streaming helpers ------------------------------------------------------------------

/** Keep at most `cap` samples: when full, drop every other one and double the minimum gap. */
class Thinned<T extends { tUs: number }> {
  readonly items: T[] = [];
  private gapUs: number;
  constructor(
    private readonly cap: number,
    initialGapUs: number,
  ) {
    this.gapUs = initialGapUs;
  }
  push(x: T): void {
    const last = this.items[this.items.length - 1];
    if (last !== undefined && x.tUs - last.tUs < this.gapUs) {
      this.items[this.items.length - 1] = x; // keep the newest in the bucket
      return;
    }
    this.items.push(x);
    if (this.items.length >= this.cap) {
      const kept: T[] = [];
      for (let i = 1; i < this.items.length; i += 2) kept.push(this.items[i] as T);
      this.items.length = 0;
      this.items.push(...kept);
      this.gapUs *= 2;
    }
  }
}

class Buckets {
  readonly items: ClientBucket[] = [];
  constructor(
    private readonly cap: number,
    private widthUs: number,
  ) {}
  add(tUs: number, outcome: 'ok' | 'fail' | 'info'): void {
    const start = Math.floor(tUs / this.widthUs) * this.widthUs;
    let last = this.items[this.items.length - 1];
    if (last === undefined || last.tUs !== start) {
      last = { tUs: start, widthUs: this.widthUs, ok: 0, fail: 0, info: 0 };
      this.items.push(last);
      if (this.items.length > this.cap) {
        this.widthUs *= 2;
        const merged: ClientBucket[] = [];
        for (const b of this.items) {
          const s = Math.floor(b.tUs / this.widthUs) * this.widthUs;
          const m = merged[merged.length - 1];
          if (m !== undefined && m.tUs === s) {
            m.ok += b.ok;
            m.fail += b.fail;
            m.info += b.info;
          } else merged.push({ tUs: s, widthUs: this.widthUs, ok: b.ok, fail: b.fail, info: b.info });
        }
        this.items.length = 0;
        this.items.push(...merged);
        last = this.items[this.items.length - 1] as ClientBucket;
      }
    }
    last[outcome]++;
  }
}

function track<V>(m: Map<string, SpanTrack<V>>, key: string, same?: (a: V, b: V) => boolean): SpanTrack<V> {
  let t = m.get(key);
  if (!t) {
    t = new SpanTrack<V>(same);
    m.set(key, t);
  }
  return t;
}

const samePg = (a: PgStateValue, b: PgStateValue): boolean =>
  a.state === b.state && a.inRecovery === b.inRecovery && a.timeline === b.timeline && a.branch === b.branch;
const sameRepl = (a: ReplicationValue, b: ReplicationValue): boolean => a.upstream === b.upstream && a.status === b.status;
const sameSync = (a: SyncValue, b: SyncValue): boolean =>
  a.synchronousStandbyNames === b.synchronousStandbyNames && a.synchronousCommit === b.synchronousCommit;
const sameLeader = (a: LeaderValue, b: LeaderValue): boolean => a.holder === b.holder;
const sameQuorum = (a: QuorumValue, b: QuorumValue): boolean => a.ok === b.ok && (a.leader ?? null) === (b.leader ?? null) && a.term === b.term;

interface PendingOp {
  type: 'write' | 'read';
  writeId?: number;
  invokeUs: number;
  maxAckedAtInvoke: number;
}

const STALE_EPISODE_GAP_US = 10_000_000;

export class HistoryBuilder {
  private meta: RunMeta = {
    scenario: '',
    seed: '',
    dcsBackend: '',
    dcsMembers: [],
    dcsStores: [],
    nodeStore: {},
    clients: [],
    hosts: [],
    patroni: {},
    endReason: null,
    started: false,
  };
  private nodeConfig: Record<string, { tags?: Record<string, unknown>; watchdog?: WatchdogMode }> | undefined;
  private clientHostHint: string[] | undefined;
  private memberHostHint: string[] | undefined;
  private startUs = Number.NaN;
  private lastUs = 0;
  private count = 0;
  private readonly phases: { phase: string; tUs: number }[] = [];
  private readonly pgNodes: string[] = [];
  private readonly pg = new Map<string, SpanTrack<PgStateValue>>();
  private readonly branches = new Map<number, BranchInfo>();
  private readonly writes = new WriteTable();
  private readonly rewinds: RewindEvent[] = [];
  private readonly clones: CloneEvent[] = [];
  private readonly recoveries: RecoveryEvent[] = [];
  private readonly replication = new Map<string, SpanTrack<ReplicationValue>>();
  private readonly sync = new Map<string, SpanTrack<SyncValue>>();
  private readonly lsn = new Map<string, Thinned<LsnSample>>();
  private readonly leader = new Map<string, SpanTrack<LeaderValue>>();
  private readonly openGrants = new Map<string, Grant>();
  private readonly grants: Grant[] = [];
  private readonly quorum = new Map<string, SpanTrack<QuorumValue>>();
  private readonly openFaults = new Map<string, FaultSpan>();
  private readonly faults: FaultSpan[] = [];
  private readonly openNet = new Map<string, NetFaultSpan>();
  private readonly netFaults: NetFaultSpan[] = [];
  private readonly cutLists = new Map<string, readonly string[]>();
  private readonly procs = new Map<string, SpanTrack<ProcState>>();
  private readonly power = new Map<string, SpanTrack<boolean>>();
  private readonly clocks: ClockEvent[] = [];
  private readonly cycles = new Map<string, CycleSpan[]>();
  private readonly watchdog: WatchdogEvent[] = [];
  private readonly operations: OperationEvent[] = [];
  private readonly warnings: WarningEvent[] = [];
  private readonly routers = new Map<string, SpanTrack<{ target: string | null; reason: string }>>();
  /** Operations in flight: client → op number → operation (no string key per record). */
  private readonly pending = new Map<string, Map<number, PendingOp>>();
  private maxAckedWriteId = -1;
  private readonly staleOpen = new Map<string, StaleReadEpisode>();
  private readonly staleReads: StaleReadEpisode[] = [];
  private readonly reads = { ok: 0, fail: 0, info: 0, stale: 0 };
  private readonly buckets = new Buckets(2000, 100_000);
  private readonly procHosts = new Map<string, string>();
  private snapshot: History['snapshot'] = null;
  private readonly syncWaits: History['syncWaitsAbandoned'] = [];
  private finished: History | null = null;

  /** Feed one record (bound, so it can be passed to `trace.subscribe`). */
  readonly push = (rec: TraceRecord): void => {
    if (this.finished) throw new Error('HistoryBuilder: record after finish()');
    this.count++;
    if (Number.isNaN(this.startUs)) this.startUs = rec.t;
    if (rec.t > this.lastUs) this.lastUs = rec.t;
    this.handle(rec);
  };

  private node(name: string): void {
    if (!this.pgNodes.includes(name)) this.pgNodes.push(name);
  }

  private handle(rec: TraceRecord): void {
    const t = rec.t;
    switch (rec.k) {
      case 'run.start': {
        this.meta = {
          scenario: rec.scenario,
          seed: rec.seed,
          dcsBackend: rec.dcs.backend,
          dcsMembers: rec.dcs.members.map((name, i) => ({ name, host: rec.dcs.memberHosts?.[i] ?? name })),
          dcsStores: (rec.stores ?? []).map((st) => ({ name: st.name, backend: st.backend, members: st.members.map((name, i) => ({ name, host: st.memberHosts[i] ?? name })) })),
          nodeStore: Object.fromEntries(Object.entries(rec.nodes ?? {}).flatMap(([n, v]) => (v.store !== undefined ? [[n, v.store]] : []))),
          clients: rec.clients.map((name, i) => ({ name, host: rec.clientHosts?.[i] ?? null })),
          hosts: rec.hosts.map((h) => ({ name: h.name, domains: [...h.domains] })),
          patroni: rec.patroni,
          endReason: null,
          started: true,
        };
        this.nodeConfig = rec.nodes;
        this.clientHostHint = rec.clientHosts;
        this.memberHostHint = rec.dcs.memberHosts;
        for (const n of rec.pgNodes) this.node(n);
        this.startUs = Math.min(this.startUs, t);
        return;
      }
      case 'run.phase':
        this.phases.push({ phase: rec.phase, tUs: t });
        return;
      case 'run.end':
        this.meta.endReason = rec.reason;
        return;
      case 'pg.state': {
        this.node(rec.node);
        const v: PgStateValue = { state: rec.state, inRecovery: rec.inRecovery, timeline: rec.timeline, branch: rec.branch };
        if (rec.reason !== undefined) v.reason = rec.reason;
        track(this.pg, rec.node, samePg).set(t, v);
        if (rec.branch >= 0 && !this.branches.has(rec.branch) && rec.state !== 'uninitialized') {
          this.branches.set(rec.branch, { branch: rec.branch, timeline: rec.timeline, parentBranch: null, switchLsn: 0, node: rec.node, atUs: t, promoted: false });
        }
        return;
      }
      case 'pg.promote': {
        this.node(rec.node);
        const parent = rec.parentBranch >= 0 && rec.parentBranch !== rec.branch ? rec.parentBranch : null;
        const known = this.branches.get(rec.branch);
        this.branches.set(rec.branch, { branch: rec.branch, timeline: rec.timeline, parentBranch: parent, switchLsn: rec.switchLsn, node: rec.node, atUs: known?.atUs ?? t, promoted: true, reason: known?.reason ?? 'promote' });
        return;
      }
      case 'pg.branch': {
        // every branch the PostgreSQL model creates: initdb roots, promotions, and silent forks
        // (a primary restarting after losing its unflushed tail keeps its timeline number)
        const known = this.branches.get(rec.branch);
        const b: BranchInfo = { branch: rec.branch, timeline: rec.timeline, parentBranch: rec.parentBranch, switchLsn: rec.switchLsn, node: rec.node, atUs: known?.atUs ?? t, promoted: known?.promoted ?? false, reason: rec.reason };
        this.branches.set(rec.branch, b);
        return;
      }
      case 'pg.initdb':
        this.node(rec.node);
        if (!this.branches.has(rec.branch)) {
          this.branches.set(rec.branch, { branch: rec.branch, timeline: rec.timeline, parentBranch: null, switchLsn: 0, node: rec.node, atUs: t, promoted: false, reason: 'initdb' });
        }
        return;
      case 'pg.snapshot':
        this.snapshot = { tUs: t, reason: rec.reason, nodes: rec.nodes.map((n) => ({ ...n })) };
        return;
      case 'pg.syncwait':
        this.syncWaits.push({ tUs: t, node: rec.node, writeId: rec.writeId, outcome: rec.outcome });
        return;
      case 'pg.write':
        this.writes.commit(rec.writeId, rec.node, rec.branch, rec.timeline, rec.lsn, t);
        if (!this.branches.has(rec.branch)) {
          this.branches.set(rec.branch, { branch: rec.branch, timeline: rec.timeline, parentBranch: null, switchLsn: 0, node: rec.node, atUs: t, promoted: false });
        }
        return;
      case 'pg.replication': {
        const v: ReplicationValue = { upstream: rec.upstream, status: rec.status };
        if (rec.reason !== undefined) v.reason = rec.reason;
        track(this.replication, rec.node, sameRepl).set(t, v);
        return;
      }
      case 'pg.rewind': {
        const e: RewindEvent = {
          tUs: t,
          node: rec.node,
          ok: rec.ok,
          fromBranch: rec.fromBranch,
          toBranch: rec.toBranch,
          forkLsn: rec.forkLsn,
          discardedUpToLsn: rec.discardedUpToLsn,
        };
        if (rec.reason !== undefined) e.reason = rec.reason;
        this.rewinds.push(e);
        return;
      }
      case 'pg.clone': {
        const before = this.pg.get(rec.node)?.current?.branch;
        const e: CloneEvent = {
          tUs: t,
          node: rec.node,
          source: rec.source,
          ok: rec.ok,
          discardedBranch: rec.discardedBranch ?? (before !== undefined && before >= 0 ? before : null),
        };
        if (rec.discardedUpToLsn !== undefined) e.discardedUpToLsn = rec.discardedUpToLsn;
        this.clones.push(e);
        return;
      }
      case 'pg.recovery': {
        const branch = this.pg.get(rec.node)?.current?.branch;
        const b = branch !== undefined && branch >= 0 ? branch : null;
        const lost = rec.lostFromLsn !== undefined && b !== null ? this.writes.crashLose(rec.node, b, rec.replayedToLsn, t) : [];
        const e: RecoveryEvent = { tUs: t, node: rec.node, branch: b, replayedToLsn: rec.replayedToLsn, lostWrites: lost };
        if (rec.lostFromLsn !== undefined) e.lostFromLsn = rec.lostFromLsn;
        this.recoveries.push(e);
        return;
      }
      case 'pg.sync':
        track(this.sync, rec.node, sameSync).set(t, { synchronousStandbyNames: rec.synchronousStandbyNames, synchronousCommit: rec.synchronousCommit });
        return;
      case 'pg.lsn': {
        let s = this.lsn.get(rec.node);
        if (!s) {
          s = new Thinned<LsnSample>(4096, 0);
          this.lsn.set(rec.node, s);
        }
        const sample: LsnSample = { tUs: t, flushLsn: rec.flushLsn, branch: this.effectiveBranch(rec.node) };
        if (rec.receiveLsn !== undefined) sample.receiveLsn = rec.receiveLsn;
        if (rec.replayLsn !== undefined) sample.replayLsn = rec.replayLsn;
        s.push(sample);
        return;
      }
      case 'client.invoke': {
        const p: PendingOp = { type: rec.type, invokeUs: t, maxAckedAtInvoke: this.maxAckedWriteId };
        if (rec.type === 'write' && rec.writeId !== undefined) {
          p.writeId = rec.writeId;
          this.writes.invoke(rec.writeId, rec.client, t);
        }
        let ops = this.pending.get(rec.client);
        if (ops === undefined) {
          ops = new Map();
          this.pending.set(rec.client, ops);
        }
        ops.set(rec.op, p);
        return;
      }
      case 'client.complete': {
        const ops = this.pending.get(rec.client);
        const p = ops?.get(rec.op);
        if (!p) return;
        (ops as Map<number, PendingOp>).delete(rec.op);
        this.buckets.add(t, rec.outcome);
        if (p.type === 'write') {
          if (p.writeId !== undefined) {
            this.writes.complete(p.writeId, rec.outcome, t, rec.node);
            if (rec.outcome === 'ok' && p.writeId > this.maxAckedWriteId) this.maxAckedWriteId = p.writeId;
          }
        } else this.readDone(rec.client, rec.outcome, rec.node, rec.sawWriteId, p, t);
        return;
      }
      case 'router.target':
        track(this.routers, rec.router, (a, b) => a.target === b.target).set(t, { target: rec.target, reason: rec.reason });
        return;
      case 'dcs.leader':
        this.leaderRecord(rec, t);
        return;
      case 'dcs.quorum': {
        const v: QuorumValue = { ok: rec.ok };
        if (rec.leader !== undefined) v.leader = rec.leader;
        if (rec.term !== undefined) v.term = rec.term;
        track(this.quorum, rec.store, sameQuorum).set(t, v);
        return;
      }
      case 'patroni.cycle':
        this.cycle(rec.node, { message: rec.message, hasLock: rec.hasLock, role: rec.role, paused: rec.paused }, t);
        return;
      case 'patroni.watchdog': {
        if (rec.event === 'keepalive') return;
        const e: WatchdogEvent = { tUs: t, node: rec.node, event: rec.event };
        if (rec.timeoutMs !== undefined) e.timeoutMs = rec.timeoutMs;
        this.watchdog.push(e);
        return;
      }
      case 'patroni.operation': {
        const e: OperationEvent = { tUs: t, operation: rec.operation, ok: rec.ok, message: rec.message };
        if (rec.node !== undefined) e.node = rec.node;
        this.operations.push(e);
        return;
      }
      case 'patroni.warning': {
        // the same warning repeats every cycle: keep the first of each text per node
        if (this.warnings.some((w) => w.message === rec.message && w.node === rec.node)) return;
        const e: WarningEvent = { tUs: t, message: rec.message };
        if (rec.node !== undefined) e.node = rec.node;
        this.warnings.push(e);
        return;
      }
      case 'fault': {
        if (rec.on) {
          const open = this.openFaults.get(rec.id);
          if (open) this.faults.push({ ...open, toUs: t });
          this.openFaults.set(rec.id, { id: rec.id, kind: rec.kind, what: rec.what, fromUs: t, toUs: Number.POSITIVE_INFINITY });
        } else {
          const open = this.openFaults.get(rec.id);
          if (open) {
            this.openFaults.delete(rec.id);
            open.toUs = t;
            this.faults.push(open);
          }
        }
        return;
      }
      case 'net.fault': {
        if (rec.on) {
          const key = rec.cuts.join(',');
          let cuts = this.cutLists.get(key);
          if (!cuts) {
            cuts = [...rec.cuts];
            this.cutLists.set(key, cuts);
          }
          this.openNet.set(rec.id, { id: rec.id, fault: rec.fault, cuts, fromUs: t, toUs: Number.POSITIVE_INFINITY });
        } else {
          const open = this.openNet.get(rec.id);
          if (open) {
            this.openNet.delete(rec.id);
            open.toUs = t;
            this.netFaults.push(open);
          }
        }
        return;
      }
      case 'proc.state':
        this.procHosts.set(rec.proc, rec.host);
        track(this.procs, `${rec.host}/${rec.proc}`).set(t, rec.state);
        return;
      case 'host.power':
        track(this.power, rec.host).set(t, rec.on);
        return;
      case 'host.clock':
        this.clocks.push({ tUs: t, host: rec.host, offsetUs: rec.offsetUs, driftPpm: rec.driftPpm, reason: rec.reason });
        return;
      default:
        return;
    }
  }

  /**
   * The branch a node's WAL is on now. A standby that follows its upstream onto a new timeline
   * records no new pg.state, so for a streaming standby it is its upstream's (recursively).
   */
  private effectiveBranch(node: string, depth = 0): number {
    const st = this.pg.get(node)?.current;
    if (!st) return -1;
    if (st.inRecovery && depth < 4) {
      const rep = this.replication.get(node)?.current;
      if (rep?.status === 'streaming' && rep.upstream !== null && rep.upstream !== node && this.pg.has(rep.upstream)) {
        const b = this.effectiveBranch(rep.upstream, depth + 1);
        if (b >= 0) return b;
      }
    }
    return st.branch;
  }

  private readDone(client: string, outcome: 'ok' | 'fail' | 'info', node: string | undefined, saw: number | undefined, p: PendingOp, t: number): void {
    if (outcome !== 'ok') {
      this.reads[outcome]++;
      return;
    }
    this.reads.ok++;
    const sawId = saw ?? -1;
    const behind = p.maxAckedAtInvoke - sawId;
    const key = `${client}|${node ?? '?'}`;
    if (behind <= 0 || node === undefined) {
      // a fresh read ends this client's episode on that server
      const open = this.staleOpen.get(key);
      if (open) {
        this.staleOpen.delete(key);
        this.staleReads.push(open);
      }
      return;
    }
    this.reads.stale++;
    const open = this.staleOpen.get(key);
    if (open && p.invokeUs - open.toUs <= STALE_EPISODE_GAP_US) {
      open.toUs = t;
      open.reads++;
      if (behind > open.maxWritesBehind) open.maxWritesBehind = behind;
      if (sawId > open.lastSawWriteId) open.lastSawWriteId = sawId;
      return;
    }
    if (open) this.staleReads.push(open);
    this.staleOpen.set(key, { client, node, fromUs: p.invokeUs, toUs: t, reads: 1, maxWritesBehind: behind, lastSawWriteId: sawId });
  }

  private leaderRecord(rec: Extract<TraceRecord, { k: 'dcs.leader' }>, t: number): void {
    // one leader key per store and Patroni scope; stores without one authority keep one view per server
    const storeKey = rec.scope !== undefined ? `${rec.store}/${rec.scope}` : rec.store;
    const key = rec.server !== undefined ? `${storeKey}@${rec.server}` : storeKey;
    const v: LeaderValue = { holder: rec.holder, reason: rec.reason };
    const grant = rec.reason === 'acquired' || rec.reason === 'taken' || rec.reason === 'updated';
    const tr = track(this.leader, key, sameLeader);
    if (grant) {
      if (rec.expiresAtUs !== undefined) v.expiresAtUs = rec.expiresAtUs;
      tr.set(t, v);
    } else {
      // the key is gone (or the named holder lost it): nobody holds it in this store
      const cur = tr.current;
      if (rec.holder === null || cur?.holder === rec.holder || cur === undefined) tr.set(t, { holder: null, reason: rec.reason });
    }
    // grants, after src/sim/dcs/grants.ts (renewals of the same holder merged into one interval)
    const gk = (holder: string): string => `${storeKey}|${rec.server ?? ''}|${holder}`;
    const close = (k: string, atUs: number): void => {
      const g = this.openGrants.get(k);
      if (!g) return;
      this.openGrants.delete(k);
      g.toUs = Math.min(g.toUs, atUs);
      this.grants.push(g);
    };
    if (grant) {
      if (rec.holder === null) return;
      const k = gk(rec.holder);
      const open = this.openGrants.get(k);
      const toUs = rec.expiresAtUs ?? Number.POSITIVE_INFINITY;
      if (open && open.toUs >= t) {
        open.toUs = toUs;
        return;
      }
      close(k, t);
      const g: Grant = { store: storeKey, holder: rec.holder, fromUs: t, toUs };
      if (rec.server !== undefined) g.server = rec.server;
      this.openGrants.set(k, g);
    } else {
      for (const [k, g] of [...this.openGrants]) {
        if (g.store !== storeKey || (g.server ?? '') !== (rec.server ?? '')) continue;
        if (rec.holder === null || g.holder === rec.holder) close(k, t);
      }
    }
  }

  private cycle(node: string, v: CycleValue, t: number): void {
    let list = this.cycles.get(node);
    if (!list) {
      list = [];
      this.cycles.set(node, list);
    }
    const last = list[list.length - 1];
    if (last && last.v.message === v.message && last.v.hasLock === v.hasLock && last.v.role === v.role && last.v.paused === v.paused) {
      last.count++;
      last.lastUs = t;
      last.toUs = Number.POSITIVE_INFINITY;
      return;
    }
    if (last) last.toUs = t;
    list.push({ fromUs: t, toUs: Number.POSITIVE_INFINITY, v, count: 1, lastUs: t });
  }

  /** Close every open interval at `endUs` (default: the last record's time) and return the history. */
  finish(endUs?: number): History {
    if (this.finished) return this.finished;
    const end = Math.max(endUs ?? this.lastUs, this.lastUs);
    // a run starts at virtual time 0, whenever its first record was emitted (a listener attached
    // late sees the same run, so the same duration)
    const start = Number.isNaN(this.startUs) ? 0 : Math.min(0, this.startUs);
    const fin = <V>(m: Map<string, SpanTrack<V>>): Record<string, Span<V>[]> => {
      const o: Record<string, Span<V>[]> = {};
      for (const [k, tr] of [...m].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) o[k] = tr.finish(end);
      return o;
    };
    for (const f of this.openFaults.values()) this.faults.push({ ...f, toUs: end });
    for (const f of this.openNet.values()) this.netFaults.push({ ...f, toUs: end });
    for (const g of this.openGrants.values()) this.grants.push(g);
    for (const e of this.staleOpen.values()) this.staleReads.push(e);
    for (const list of this.cycles.values()) {
      const last = list[list.length - 1];
      if (last && last.toUs === Number.POSITIVE_INFINITY) last.toUs = Math.max(end, last.fromUs);
    }
    // client hosts: run.start, else the host of a process with the client's name
    const clients = this.meta.clients.map((c, i) => ({
      name: c.name,
      host: this.clientHostHint?.[i] ?? this.procHosts.get(c.name) ?? (this.meta.hosts.some((h) => h.name === c.name) ? c.name : null),
    }));
    const dcsMembers = this.meta.dcsMembers.map((m, i) => ({
      name: m.name,
      host: this.memberHostHint?.[i] ?? (this.meta.hosts.some((h) => h.name === m.name) ? m.name : (this.procHosts.get(m.name) ?? m.name)),
    }));
    const pg = fin(this.pg);
    const power = fin(this.power);
    const writable: Record<string, Interval[]> = {};
    for (const n of this.pgNodes) {
      const w = where(pg[n] ?? [], (v) => v.state === 'running' && !v.inRecovery);
      const off = where(power[n] ?? [], (on) => !on);
      writable[n] = subtractIntervals(mergeIntervals(w), off);
    }
    const lsn: Record<string, LsnSample[]> = {};
    for (const [k, s] of [...this.lsn].sort((a, b) => (a[0] < b[0] ? -1 : 1))) lsn[k] = s.items;
    const cycles: Record<string, CycleSpan[]> = {};
    for (const [k, v] of [...this.cycles].sort((a, b) => (a[0] < b[0] ? -1 : 1))) cycles[k] = v;
    this.finished = {
      meta: { ...this.meta, clients, dcsMembers },
      settings: patroniSettings(this.meta.patroni, this.nodeConfig),
      startUs: start,
      endUs: end,
      recordCount: this.count,
      phases: this.phases,
      pgNodes: [...this.pgNodes],
      pg,
      writable,
      branches: [...this.branches.values()].sort((a, b) => a.atUs - b.atUs || a.branch - b.branch),
      writes: this.writes,
      rewinds: this.rewinds,
      clones: this.clones,
      recoveries: this.recoveries,
      replication: fin(this.replication),
      sync: fin(this.sync),
      lsn,
      leader: fin(this.leader),
      grants: this.grants.sort((a, b) => a.fromUs - b.fromUs || (a.holder < b.holder ? -1 : 1)),
      quorum: fin(this.quorum),
      faults: this.faults.sort((a, b) => a.fromUs - b.fromUs),
      netFaults: this.netFaults.sort((a, b) => a.fromUs - b.fromUs),
      procs: fin(this.procs),
      power,
      clocks: this.clocks,
      cycles,
      watchdog: this.watchdog,
      operations: this.operations,
      warnings: this.warnings,
      routers: fin(this.routers),
      staleReads: this.staleReads.sort((a, b) => a.fromUs - b.fromUs),
      reads: this.reads,
      clientBuckets: this.buckets.items,
      snapshot: this.snapshot,
      syncWaitsAbandoned: this.syncWaits,
    };
    return this.finished;
  }
}

/** Build the history of a list of records (tests, short runs, a trace read back from a file). */
export function buildHistory(records: Iterable<TraceRecord>, endUs?: number): History {
  const b = new HistoryBuilder();
  for (const r of records) b.push(r);
  return b.finish(endUs);
}

/**
 * The DCS members node `node`'s Patroni talks to: its cluster's store when the run named one
 * (a standby cluster in another datacenter has its own), else the run's store.
 */
export function dcsMembersOf(meta: RunMeta, node: string): readonly { name: string; host: string }[] {
  const store = meta.nodeStore[node];
  if (store === undefined) return meta.dcsMembers;
  return meta.dcsStores.find((s) => s.name === store)?.members ?? meta.dcsMembers;
}
