// Ground truth for a lock whose expiry one server enforces by its own wall clock (a Redis key with a
// PX ttl, a lease row compared with the server's now()).
//
// What the holder may believe: a client that sent "hold this for ttl" at its wall-clock time S and
// got OK can rely on the lock until its own clock reads S + ttl (the validity a careful lock client
// computes: the Redis single-instance lock pattern, Redlock's validity without the drift margin).
// With clocks that tick at the same rate the server's expiry (its apply time + ttl) is never
// earlier than that. A server whose clock jumps forward expires the lock early: the holder still
// believes while another client may take it. So the grant's end is the holder's belief, and the
// server's expiry ends the grant only once that belief is over ('expired'); an earlier server-side
// expiry is recorded as a store event ('lease-expired-early') and ends nothing.
import type { Process } from '../../host/process.js';

export type LeaseReason = 'acquired' | 'updated' | 'expired' | 'deleted' | 'taken' | 'lost';

declare module '../../kernel/trace.js' {
  interface TraceMap {
    /**
     * Something a non-shipped store did that explains its lock history (Sentinel decisions, a
     * full resync that dropped a data set, a lease expired early by a server clock jump, ...).
     */
    'dcs.store': { store: string; server?: string; event: string; holder?: string | null; detail?: string };
  }
}

/** Record a store event (`dcs.store`). */
export function storeEvent(proc: Process, store: string, server: string, event: string, extra: { holder?: string | null; detail?: string } = {}): void {
  const rec: { store: string; server: string; event: string; holder?: string | null; detail?: string } = { store, server, event };
  if (extra.holder !== undefined) rec.holder = extra.holder;
  if (extra.detail !== undefined) rec.detail = extra.detail;
  proc.sim.trace.emit('dcs.store', rec);
}

const RECHECK_US = 100_000;

export class ServerJudgedLease {
  private holder: string | null = null;
  private expiresWallUs = 0;
  private beliefEndUs = 0;
  private ticking = -1;

  constructor(
    private readonly proc: Process,
    private readonly store: string,
    /** The server's member name: its grants are its own (`server` of the records). */
    private readonly server: string,
  ) {}

  get current(): { holder: string; expiresWallUs: number } | null {
    return this.holder === null ? null : { holder: this.holder, expiresWallUs: this.expiresWallUs };
  }

  /**
   * The lock was granted or renewed on this server: it expires here when the server's wall clock
   * reads `expiresWallUs`; the holder believes it holds it until true time `beliefEndUs`.
   */
  granted(holder: string, reason: 'acquired' | 'updated' | 'taken', expiresWallUs: number, beliefEndUs: number): void {
    // the previous lease may have expired since the last check (a new holder took it at once)
    if (this.holder !== null && this.holder !== holder) this.check();
    this.holder = holder;
    this.expiresWallUs = expiresWallUs;
    this.beliefEndUs = beliefEndUs;
    this.emit(holder, reason, beliefEndUs);
    this.ensureTicking();
  }

  /** The holder removed its lock (it knows: its belief ends now). */
  deleted(): void {
    if (this.holder === null) return;
    const h = this.holder;
    this.holder = null;
    this.emit(h, 'deleted');
  }

  /**
   * Stop tracking without a record: the server lost the key with its data set (a full resync, a
   * restart without persistence, a demotion). The holder saw nothing: its grant still ends at its
   * belief.
   */
  forget(): void {
    this.holder = null;
  }

  /** Call from the server's onStart: a lease kept on disk across a restart is watched again. */
  resume(): void {
    this.ticking = -1;
    if (this.holder !== null) this.ensureTicking();
  }

  private ensureTicking(): void {
    if (this.ticking === this.proc.incarnation || !this.proc.alive) return;
    this.ticking = this.proc.incarnation;
    const tick = (): void => {
      this.check();
      if (this.holder !== null) this.proc.after(RECHECK_US, tick);
      else this.ticking = -1;
    };
    this.proc.after(RECHECK_US, tick);
  }

  /** Has the server's clock passed the lock's expiry? */
  check(): void {
    if (this.holder === null) return;
    const now = this.proc.sim.nowUs;
    if (this.proc.host.clock.wallUs(now) < this.expiresWallUs) return;
    const h = this.holder;
    this.holder = null;
    if (now >= this.beliefEndUs) this.emit(h, 'expired');
    else {
      storeEvent(this.proc, this.store, this.server, 'lease-expired-early', {
        holder: h,
        detail: `expired by ${this.server}'s clock ${((this.beliefEndUs - now) / 1000).toFixed(0)} ms before the holder's own deadline`,
      });
    }
  }

  private emit(holder: string, reason: LeaseReason, expiresAtUs?: number): void {
    const rec: { store: string; server: string; holder: string; reason: LeaseReason; expiresAtUs?: number } = {
      store: this.store,
      server: this.server,
      holder,
      reason,
    };
    if (expiresAtUs !== undefined) rec.expiresAtUs = expiresAtUs;
    this.proc.sim.trace.emit('dcs.leader', rec);
  }
}
