// Fixtures for router tests: a fake Patroni REST responder (HAProxy checks it) and a fake DCS
// client whose leader key the test sets (vip-manager polls it).
import { Process } from '../../src/sim/host/process.js';
import type { Host } from '../../src/sim/host/host.js';
import type { Task } from '../../src/sim/kernel/task.js';
import { done } from '../../src/sim/kernel/task.js';
import { PatroniRest, type RestRequest, type RestResponse } from '../../src/sim/patroni/rest.js';
import { AbstractDCS, DCSError, type StatusValue } from '../../src/sim/dcs/abstract.js';
import { Cluster, Leader, Member, Status, SyncState, type KeyVersion, type SyncValue } from '../../src/sim/dcs/cluster.js';
import type { TraceRecord } from '../../src/sim/kernel/trace.js';

export function recs<K extends TraceRecord['k']>(all: readonly TraceRecord[], k: K): Extract<TraceRecord, { k: K }>[] {
  return all.filter((r) => r.k === k) as Extract<TraceRecord, { k: K }>[];
}

/** Answers Patroni's REST API: GET /primary is 200 while `isPrimary()` says so, else 503. */
export class FakeRest extends Process {
  constructor(
    host: Host,
    public isPrimary: () => boolean,
  ) {
    super(host, 'patroni');
  }

  protected onStart(): void {
    this.net.listen(this, PatroniRest, (req) => this.handle(req));
  }

  // eslint-disable-next-line require-yield
  private *handle(req: RestRequest): Task<RestResponse> {
    if (req.path === '/primary' || req.path === '/leader' || req.path === '/') {
      return { status: this.isPrimary() ? 200 : 503, body: { role: this.isPrimary() ? 'primary' : 'replica' } };
    }
    return { status: 404, body: null };
  }
}

/** The "DCS" of router tests: one shared leader key the test writes, readable unless `down`. */
export class FakeStore {
  leader: string | null = null;
  down = false;
}

/** A DCS client reading the fake store (only getCluster is used by vip-manager). */
export class FakeDcs extends AbstractDCS {
  constructor(
    proc: Process,
    name: string,
    private readonly store: FakeStore,
  ) {
    super(proc, name, { ttlMs: 30_000, loopWaitMs: 10_000, retryTimeoutMs: 10_000 });
  }

  protected *loadCluster(): Task<Cluster> {
    yield* this.proc.sleep(1_000);
    if (this.store.down) throw new DCSError('store unreachable');
    const leader = this.store.leader === null ? null : new Leader(1, null, new Member(1, this.store.leader, null, {}));
    return new Cluster('1', null, leader, Status.empty(), [], null, SyncState.empty(), null, null);
  }
  attemptToAcquireLeader(): Task<boolean> {
    return done(false);
  }
  protected updateLeaderKey(): Task<boolean> {
    return done(false);
  }
  protected deleteLeaderKey(): Task<boolean> {
    return done(false);
  }
  takeLeader(): Task<boolean> {
    return done(false);
  }
  touchMember(): Task<boolean> {
    return done(false);
  }
  initialize(): Task<boolean> {
    return done(false);
  }
  cancelInitialization(): Task<boolean> {
    return done(false);
  }
  setFailoverValue(): Task<boolean> {
    return done(false);
  }
  setConfigValue(): Task<boolean> {
    return done(false);
  }
  protected setSyncStateValue(_v: SyncValue, _ver: KeyVersion | null): Task<KeyVersion | false> {
    return done(false);
  }
  deleteSyncState(): Task<boolean> {
    return done(false);
  }
  setHistoryValue(): Task<boolean> {
    return done(false);
  }
  protected writeStatusValue(_v: StatusValue): Task<boolean> {
    return done(false);
  }
  protected writeFailsafeValue(): Task<boolean> {
    return done(false);
  }
}
