// An etcd member (v3 API) as a process: the raft core, the MVCC state machine, the lessor on the
// leader, and the client API Patroni uses through the gRPC gateway (`/v3/kv/range`, `/v3/kv/txn`,
// `/v3/kv/put`, `/v3/kv/deleterange`, `/v3/lease/grant`, `/v3/lease/keepalive`, `/v3/watch`).
// Every answer carries the header {revision, raft_term} Patroni checks (`StaleEtcdNodeGuard`).
import type { Host } from '../../host/host.js';
import { Process, type ExitReason } from '../../host/process.js';
import { RemoteError, service, streamService, type StreamEnd } from '../../net/network.js';
import { suspend, type Task } from '../../kernel/task.js';
import { RaftDisk, RaftNode, type RaftTiming } from '../raft/core.js';
import { datagramTransport, type RaftPeer } from '../raft/transport.js';
import type { QuorumStoreRecorder } from '../raft/records.js';
import { Lessor } from './lessor.js';
import { V2, V2Store, type V2Cmd, type V2Event, type V2Node } from './v2store.js';
import { LEASE_NOT_FOUND, Mvcc, type ApplyResult, type EtcdCmd, type KeyValue, type MvccEvent, type OpResponse, type TxnRequest } from './mvcc.js';

export interface ResponseHeader {
  revision: number;
  raftTerm: number;
  member: string;
}

export interface RangeRequest {
  key: string;
  prefix: boolean;
  /** true: served from this member's state (Patroni's default); false: linearizable (read index). */
  serializable: boolean;
}

export const EtcdRange = service<RangeRequest, { header: ResponseHeader; kvs: KeyValue[] }>('etcd3.range');
export const EtcdTxn = service<{ txn: TxnRequest }, { header: ResponseHeader; succeeded: boolean; responses: OpResponse[] }>('etcd3.txn');
export const EtcdLeaseGrant = service<{ ttlS: number }, { header: ResponseHeader; id: number; ttlS: number }>('etcd3.lease.grant');
export const EtcdLeaseKeepAlive = service<{ id: number }, { header: ResponseHeader; ttlS: number }>('etcd3.lease.keepalive');
/** Peer API: a follower forwards a keepalive to the leader (leasehttp.RenewHTTP). */
const PeerLeaseRenew = service<{ id: number }, { ttlS: number; notPrimary?: boolean }>('etcd.peer.lease-renew');

export type WatchC2S = { t: 'create'; key: string; prefix: boolean; startRevision: number };
export type WatchEvent = { type: 'PUT' | 'DELETE'; kv: KeyValue };
export type WatchS2C =
  | { t: 'created'; header: ResponseHeader }
  | { t: 'events'; header: ResponseHeader; events: WatchEvent[] }
  | { t: 'canceled'; header: ResponseHeader; reason: string };
export const EtcdWatch = streamService<WatchC2S, WatchS2C>('etcd3.watch');

/** The v2 API (`/v2/keys`): answers carry X-Etcd-Index and X-Raft-Term. */
export interface V2Answer {
  etcdIndex: number;
  raftTerm: number;
}
export const Etcd2Get = service<{ key: string; recursive: boolean; quorum: boolean }, V2Answer & { nodes: V2Node[] }>('etcd2.get');
export const Etcd2Set = service<Omit<Extract<V2Cmd, { op: 'v2set' }>, 'op' | 'nowWallUs'>, V2Answer & { event: V2Event }>('etcd2.set');
export const Etcd2Delete = service<Omit<Extract<V2Cmd, { op: 'v2delete' }>, 'op'>, V2Answer & { event: V2Event }>('etcd2.delete');
export const Etcd2Watch = service<{ key: string; waitIndex: number }, V2Answer & { event: V2Event }>('etcd2.watch');

export type MemberCmd = EtcdCmd | V2Cmd;

function v2Error(errorCode: number, message: string, index: number, status = 400): RemoteError {
  return new RemoteError(message, status, { errorCode, message, index });
}

/** gRPC codes as Patroni's etcd3 client reads them (`patroni/dcs/etcd3.py GRPCCode`). */
export const GRPC = { Unknown: 2, DeadlineExceeded: 4, NotFound: 5, FailedPrecondition: 9, Unavailable: 14 } as const;

export function grpcError(code: number, error: string): RemoteError {
  const status = code === GRPC.Unavailable ? 503 : code === GRPC.NotFound ? 404 : code === GRPC.DeadlineExceeded ? 504 : 500;
  return new RemoteError(error, status, { code, error });
}

export interface EtcdClusterContext {
  store: string;
  /** The leader key of every Patroni scope this store serves (for the ground-truth records). */
  leaderKeys: ReadonlySet<string>;
  recorder: QuorumStoreRecorder;
  timing: RaftTiming;
  /** Every member, for peers and for ground truth. */
  members(): readonly EtcdMember[];
  /** Called on any change of a member's raft role. */
  roleChanged(): void;
  /**
   * For stores layered on etcd (Kubernetes): the leader key's value is an object; this returns its
   * holder (null: nobody) and the TTL the record claims. Without it the value is the holder's name.
   */
  decodeLeader?: (value: string) => { holder: string | null; ttlS: number };
}

const HISTORY = 512;

interface WatcherEntry {
  end: StreamEnd<WatchS2C, WatchC2S>;
  key: string;
  prefix: boolean;
}

export class EtcdMember extends Process {
  readonly disk = new RaftDisk<MemberCmd>();
  raft: RaftNode<MemberCmd> | null = null;
  mvcc = new Mvcc();
  v2 = new V2Store();
  private v2Waiters: (() => void)[] = [];
  lessor: Lessor | null = null;
  private watchers: WatcherEntry[] = [];
  private history: { revision: number; ev: WatchEvent }[] = [];
  private leaseSeq = 0;

  constructor(
    host: Host,
    name: string,
    readonly index: number,
    private readonly ctx: EtcdClusterContext,
  ) {
    super(host, name);
  }

  /** etcd's request timeout: 5 s + 2 × election timeout (`ServerConfig.ReqTimeout`). */
  get reqTimeoutUs(): number {
    const t = this.ctx.timing;
    return 5_000_000 + 2 * t.electionTicks * t.tickUs;
  }

  private get electionTimeoutUs(): number {
    return this.ctx.timing.electionTicks * this.ctx.timing.tickUs;
  }

  protected onStart(): void {
    this.mvcc = new Mvcc();
    this.v2 = new V2Store();
    this.v2Waiters = [];
    this.watchers = [];
    this.history = [];
    const peers: RaftPeer<MemberCmd>[] = this.ctx
      .members()
      .filter((m) => m !== this)
      .map((m) => ({ id: m.name, proc: m, node: () => m.raft }));
    const lessor = new Lessor(
      this,
      (id) => this.mvcc.leases.get(id)?.ttlS,
      () => [...this.mvcc.leases.keys()].sort((a, b) => a - b),
      (id) => this.spawn(`revoke lease ${id}`, this.proposeRevoke(id)),
    );
    this.lessor = lessor;
    this.mvcc.onEvent = (ev, index) => this.onMvccEvent(ev, index);
    this.mvcc.onLease = (kind, id, ttlS) => {
      if (kind === 'grant') lessor.granted(id, ttlS);
      else lessor.revoked(id);
    };
    this.v2.onEvent = (ev, index) => this.onV2Event(ev, index);
    const mvcc = this.mvcc;
    const v2 = this.v2;
    const sm = {
      apply: (cmd: MemberCmd, index: number): unknown => (cmd.op.startsWith('v2') ? v2.apply(cmd as V2Cmd, index) : mvcc.apply(cmd as EtcdCmd, index)),
      snapshot: (): unknown => ({ v3: mvcc.snapshot(), v2: v2.snapshot() }),
      restore: (d: unknown): void => {
        const x = d as { v3: unknown; v2: { index: number; nodes: V2Node[] } } | null;
        mvcc.restore(x ? x.v3 : null);
        v2.restore(x ? x.v2 : null);
      },
    };
    const raft = new RaftNode<MemberCmd>(
      this,
      this.name,
      datagramTransport(this, peers, 'etcd.raft'),
      this.ctx.timing,
      this.disk,
      sm,
      this.sim.rng(`raft:${this.ctx.store}:${this.name}:election`),
      {
        onRoleChange: (isLeader) => {
          if (isLeader) {
            this.after(500_000, () => this.v2SyncTick());
            lessor.promote(this.electionTimeoutUs);
            this.reportPromotedLease();
          } else lessor.demote();
          this.ctx.roleChanged();
        },
        onLeaderKnown: () => this.ctx.roleChanged(),
        onApplied: (index) => this.ctx.recorder.appliedThrough(index),
      },
    );
    this.raft = raft;
    raft.start();
    this.net.listen(this, EtcdRange, (req) => this.serveRange(req));
    this.net.listen(this, EtcdTxn, (req) => this.serveTxn(req.txn));
    this.net.listen(this, EtcdLeaseGrant, (req) => this.serveLeaseGrant(req.ttlS));
    this.net.listen(this, EtcdLeaseKeepAlive, (req) => this.serveKeepAlive(req.id));
    this.net.listen(this, PeerLeaseRenew, (req) => this.servePeerRenew(req.id));
    this.net.listenStream(this, EtcdWatch, (end) => this.acceptWatch(end));
    this.net.listen(this, Etcd2Get, (r) => this.serveV2Get(r.key, r.recursive, r.quorum));
    this.net.listen(this, Etcd2Set, (r) => this.serveV2Write({ op: 'v2set', ...r, nowWallUs: this.wallUs() }));
    this.net.listen(this, Etcd2Delete, (r) => this.serveV2Write({ op: 'v2delete', ...r }));
    this.net.listen(this, Etcd2Watch, (r) => this.serveV2Watch(r.key, r.waitIndex));
  }

  // ---- the v2 API ----------------------------------------------------------------------------------

  private v2Answer(): V2Answer {
    return { etcdIndex: this.v2.index, raftTerm: this.raft?.term ?? 0 };
  }

  /** The leader proposes SYNC with its wall clock every 500 ms while TTL keys exist (etcdserver.sync). */
  private v2SyncTick(): void {
    const raft = this.raft;
    if (!raft?.isLeader) return;
    this.after(500_000, () => this.v2SyncTick());
    if (!this.v2.hasTtlKeys) return;
    const now = this.wallUs();
    this.spawn('v2 sync', (function* () {
      yield* raft.propose({ op: 'v2sync', leaderWallUs: now }, 1_000_000);
    })());
  }

  private *serveV2Get(key: string, recursive: boolean, quorum: boolean): Task<V2Answer & { nodes: V2Node[] }> {
    if (quorum) {
      // quorum=true reads go through raft (v2 QGET)
      const raft = this.raft;
      if (!raft || !(yield* raft.readIndex(this.reqTimeoutUs))) throw v2Error(V2.RaftInternal, 'Raft Internal Error', this.v2.index, 500);
    }
    const nodes = [...this.v2.nodes.values()].filter((n) => (recursive ? n.key.startsWith(key) : n.key === key)).map((n) => ({ ...n }));
    if (nodes.length === 0) throw v2Error(V2.KeyNotFound, 'Key not found', this.v2.index, 404);
    return { ...this.v2Answer(), nodes };
  }

  private *serveV2Write(cmd: V2Cmd): Task<V2Answer & { event: V2Event }> {
    const raft = this.raft;
    if (!raft) throw v2Error(V2.RaftInternal, 'Raft Internal Error', this.v2.index, 500);
    const o = yield* raft.propose(cmd, this.reqTimeoutUs);
    if (!o.ok) throw v2Error(V2.RaftInternal, o.error === 'dropped' ? 'Raft Internal Error' : 'etcdserver: request timed out', this.v2.index, 500);
    const r = o.result as ReturnType<V2Store['apply']>;
    if (!r) throw v2Error(V2.RaftInternal, 'Raft Internal Error', this.v2.index, 500);
    if (!r.ok) throw v2Error(r.errorCode, r.message, r.index, r.errorCode === V2.KeyNotFound ? 404 : 412);
    return { ...this.v2Answer(), event: r.event };
  }

  private *serveV2Watch(key: string, waitIndex: number): Task<V2Answer & { event: V2Event }> {
    for (;;) {
      const ev = this.v2.eventSince(key, waitIndex);
      if (ev === 'cleared') throw v2Error(V2.EventIndexCleared, 'The event in requested index is outdated and cleared', this.v2.index, 400);
      if (ev) return { ...this.v2Answer(), event: ev };
      yield* suspend<void>({
        start: (resume) => {
          this.v2Waiters.push(() => resume.ok());
        },
      });
      if (!this.raft) throw v2Error(V2.RaftInternal, 'Raft Internal Error', this.v2.index, 500);
    }
  }

  private onV2Event(ev: V2Event, index: number): void {
    if (this.v2Waiters.length > 0) {
      const ws = this.v2Waiters;
      this.v2Waiters = [];
      for (const w of ws) w();
    }
    if (!this.ctx.leaderKeys.has(ev.node.key) || !this.ctx.recorder.isNew(index)) return;
    const rec = this.ctx.recorder;
    if (ev.action === 'delete' || ev.action === 'compareAndDelete' || ev.action === 'expire') {
      rec.leader(ev.prevNode?.value ?? null, ev.action === 'expire' ? 'expired' : 'deleted');
      return;
    }
    const holder = ev.node.value;
    const reason = ev.prevNode === null ? 'acquired' : ev.prevNode.value === holder ? 'updated' : 'taken';
    rec.leader(holder, reason, ev.node.expirationWallUs !== null ? this.v2ExpiryTrueUs(ev.node.expirationWallUs) : undefined);
  }

  /** True time at which a SYNC from the latest self-proclaimed leader will pass `expWallUs`. */
  private v2ExpiryTrueUs(expWallUs: number): number {
    let best: number | undefined;
    for (const m of this.ctx.members()) {
      if (!m.alive || !m.raft?.isLeader) continue;
      const t = this.sim.nowUs + m.host.clock.trueDelayFor(expWallUs - m.wallUs());
      if (best === undefined || t > best) best = t;
    }
    // no leader now: the next one syncs with its own clock; take this member's clock plus an election
    const base = best ?? this.sim.nowUs + (expWallUs - this.wallUs()) + this.electionTimeoutUs * 2;
    return base + 500_000; // the SYNC period
  }

  protected override onExit(_why: ExitReason): void {
    this.raft?.stop();
    this.raft = null;
    this.lessor = null;
    this.ctx.roleChanged();
  }

  private header(): ResponseHeader {
    return { revision: this.mvcc.revision, raftTerm: this.raft?.term ?? 0, member: this.name };
  }

  // ---- requests ---------------------------------------------------------------------------------

  private *propose(cmd: MemberCmd): Task<ApplyResult> {
    const raft = this.raft;
    if (!raft) throw grpcError(GRPC.Unavailable, 'etcdserver: server stopped');
    const o = yield* raft.propose(cmd, this.reqTimeoutUs);
    if (!o.ok) {
      // raft.stepFollower/stepCandidate drop proposals when no leader is known; the error reaches
      // the client as-is (code Unknown). A proposal that does not apply in time: "request timed out".
      if (o.error === 'dropped') throw grpcError(GRPC.Unknown, 'raft proposal dropped');
      throw grpcError(GRPC.Unavailable, 'etcdserver: request timed out');
    }
    return o.result as ApplyResult;
  }

  private *serveRange(req: RangeRequest): Task<{ header: ResponseHeader; kvs: KeyValue[] }> {
    if (!req.serializable) {
      const raft = this.raft;
      if (!raft || !(yield* raft.readIndex(this.reqTimeoutUs))) throw grpcError(GRPC.Unavailable, 'etcdserver: request timed out');
    }
    return { header: this.header(), kvs: this.mvcc.range(req.key, req.prefix) };
  }

  private *serveTxn(txn: TxnRequest): Task<{ header: ResponseHeader; succeeded: boolean; responses: OpResponse[] }> {
    const r = yield* this.propose({ op: 'txn', txn });
    if (!r.ok) throw grpcError(r.code, r.error);
    if (!('succeeded' in r)) throw grpcError(GRPC.Unknown, 'unexpected apply result');
    return { header: { ...this.header(), revision: r.revision }, succeeded: r.succeeded, responses: r.responses };
  }

  private *serveLeaseGrant(ttlS: number): Task<{ header: ResponseHeader; id: number; ttlS: number }> {
    // lease ids come from the member's request id generator (member id + counter)
    const id = (this.index + 1) * 2 ** 40 + this.incarnation * 2 ** 24 + ++this.leaseSeq;
    // etcd enforces a minimum TTL (minLeaseTTL = ceil(3 × election timeout / heartbeat) × heartbeat)
    const minTtlS = Math.ceil((3 * this.electionTimeoutUs) / 1e6);
    const r = yield* this.propose({ op: 'leaseGrant', id, ttlS: Math.max(ttlS, minTtlS) });
    if (!r.ok || !('leaseId' in r)) throw grpcError(GRPC.Unknown, 'lease grant failed');
    return { header: this.header(), id: r.leaseId, ttlS: r.ttlS };
  }

  private *serveKeepAlive(id: number): Task<{ header: ResponseHeader; ttlS: number }> {
    // v3_server.go LeaseRenew: the leader renews locally after ensureLeadership (etcd ≥ 3.5.13:
    // a read-index round confirms it still leads); a follower forwards to the leader over the peer
    // API, waiting for a leader up to ReqTimeout.
    const deadline = this.monoUs() + this.reqTimeoutUs;
    for (;;) {
      const raft = this.raft;
      if (!raft) throw grpcError(GRPC.Unavailable, 'etcdserver: server stopped');
      if (raft.isLeader) {
        const ok = yield* raft.readIndex(this.reqTimeoutUs);
        if (!ok || !this.raft?.isLeader || !this.lessor) throw grpcError(GRPC.Unavailable, 'etcdserver: not primary');
        const ttl = this.lessor.renew(id);
        if (ttl < 0) throw grpcError(GRPC.NotFound, LEASE_NOT_FOUND);
        this.reportRenewal(id);
        return { header: this.header(), ttlS: ttl };
      }
      const leaderName = raft.leader;
      const leader = leaderName ? this.ctx.members().find((m) => m.name === leaderName) : undefined;
      const left = deadline - this.monoUs();
      if (left <= 0) throw grpcError(GRPC.Unavailable, 'etcdserver: request timed out');
      if (leader && leader !== this) {
        try {
          const r = yield* this.net.call(this, leader, PeerLeaseRenew, { id }, { timeoutUs: Math.min(left, this.reqTimeoutUs) });
          if (!r.notPrimary) {
            if (r.ttlS < 0) throw grpcError(GRPC.NotFound, LEASE_NOT_FOUND);
            return { header: this.header(), ttlS: r.ttlS };
          }
        } catch (e) {
          if (e instanceof RemoteError && (e.body as { code?: number } | undefined)?.code === GRPC.NotFound) throw e;
        }
      }
      yield* this.sleep(50_000);
    }
  }

  private *servePeerRenew(id: number): Task<{ ttlS: number; notPrimary?: boolean }> {
    const raft = this.raft;
    if (!raft?.isLeader) return { ttlS: -1, notPrimary: true };
    const ok = yield* raft.readIndex(this.reqTimeoutUs);
    if (!ok || !this.raft?.isLeader || !this.lessor) return { ttlS: -1, notPrimary: true };
    const ttl = this.lessor.renew(id);
    if (ttl >= 0) this.reportRenewal(id);
    return { ttlS: ttl };
  }

  private *proposeRevoke(id: number): Task<void> {
    try {
      yield* this.propose({ op: 'leaseRevoke', id, expired: true });
    } catch {
      // the lessor retries after expiredLeaseRetryInterval
    }
  }

  // ---- watches ---------------------------------------------------------------------------------

  private acceptWatch(end: StreamEnd<WatchS2C, WatchC2S>): void {
    end.onMessage((m) => {
      if (m.t !== 'create') return;
      const oldest = this.history[0];
      if (m.startRevision > 0 && oldest !== undefined && m.startRevision < oldest.revision && this.history.length >= HISTORY) {
        end.send({ t: 'canceled', header: this.header(), reason: 'mvcc: required revision has been compacted' });
        return;
      }
      const w: WatcherEntry = { end, key: m.key, prefix: m.prefix };
      this.watchers.push(w);
      end.send({ t: 'created', header: this.header() });
      if (m.startRevision > 0) {
        const past = this.history.filter((h) => h.revision >= m.startRevision && matches(w, h.ev.kv.key)).map((h) => h.ev);
        if (past.length > 0) end.send({ t: 'events', header: this.header(), events: past }, 128 * past.length);
      }
    });
    end.onClose(() => {
      this.watchers = this.watchers.filter((w) => w.end !== end);
    });
  }

  private onMvccEvent(ev: MvccEvent, index: number): void {
    const we: WatchEvent = { type: ev.type, kv: ev.kv };
    this.history.push({ revision: ev.kv.modRevision, ev: we });
    if (this.history.length > HISTORY) this.history.shift();
    for (const w of this.watchers) {
      if (matches(w, ev.kv.key)) w.end.send({ t: 'events', header: this.header(), events: [we] }, 128);
    }
    if (this.ctx.leaderKeys.has(ev.kv.key) && this.ctx.recorder.isNew(index)) this.recordLeaderEvent(ev);
  }

  // ---- ground truth -----------------------------------------------------------------------------

  private recordLeaderEvent(ev: MvccEvent): void {
    const rec = this.ctx.recorder;
    const decode = this.ctx.decodeLeader;
    if (decode) {
      // Kubernetes: no server-side expiry; a record is valid for its ttl from when it is written
      // (observers judge from their own observation time, which is never earlier)
      const before = ev.prev ? decode(ev.prev.value).holder : null;
      const after = ev.type === 'PUT' ? decode(ev.kv.value) : { holder: null, ttlS: 0 };
      if (after.holder !== null) {
        const reason = before === null ? 'acquired' : before === after.holder ? 'updated' : 'taken';
        rec.leader(after.holder, reason, this.sim.nowUs + after.ttlS * 1e6);
      } else if (before !== null) rec.leader(before, 'deleted');
      return;
    }
    if (ev.type === 'PUT') {
      const holder = ev.kv.value;
      const reason = ev.prev === null ? 'acquired' : ev.prev.value === holder ? 'updated' : 'taken';
      rec.leaseOfHolder = ev.kv.lease;
      rec.leader(holder, reason, this.leaseExpiryTrueUs(ev.kv.lease));
    } else {
      const holder = ev.prev?.value ?? null;
      rec.leaseOfHolder = 0;
      rec.leader(holder, ev.cause === 'lease-expired' ? 'expired' : 'deleted');
    }
  }

  /** True time at which the store's primary lessor will expire lease `id` (the latest, if several believe they lead). */
  leaseExpiryTrueUs(id: number): number | undefined {
    if (id === 0) return undefined;
    let best: number | undefined;
    for (const m of this.ctx.members()) {
      const exp = m.alive ? m.lessor?.expiresAtLocalUs(id) : undefined;
      if (exp === undefined) continue;
      const t = this.sim.nowUs + m.host.clock.trueDelayFor(exp - m.monoUs());
      if (best === undefined || t > best) best = t;
    }
    if (best !== undefined) return best;
    // no primary tracks it yet: the next one will give it a fresh TTL plus the election timeout
    const ttl = this.mvcc.leases.get(id)?.ttlS ?? 0;
    return this.sim.nowUs + ttl * 1e6 + this.electionTimeoutUs;
  }

  private reportRenewal(id: number): void {
    const rec = this.ctx.recorder;
    if (rec.holder === null || rec.leaseOfHolder !== id) return;
    rec.leader(rec.holder, 'updated', this.leaseExpiryTrueUs(id));
  }

  private reportPromotedLease(): void {
    const rec = this.ctx.recorder;
    if (rec.holder === null || rec.leaseOfHolder === 0) return;
    rec.leader(rec.holder, 'updated', this.leaseExpiryTrueUs(Number(rec.leaseOfHolder)));
  }

  describe(): string {
    const d = this.raft?.describe();
    return d ? `${this.name} ${d.role} term=${d.term} leader=${d.leader} commit=${d.commit}` : `${this.name} ${this.state}`;
  }
}

function matches(w: { key: string; prefix: boolean }, key: string): boolean {
  return w.prefix ? key.startsWith(w.key) : key === w.key;
}
