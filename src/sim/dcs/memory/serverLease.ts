// Ground truth for a lock whose expiry one server judges by its own wall clock (a Redis key with a
// PX ttl, a lease row compared with the server's now()). The store keeps an absolute expiry in
// that server's wall-clock time; the grant checker needs it in true time. We predict the true
// time from the server's clock as it is at the grant, and re-check every 100 ms while the lease
// is held, so a clock step on the server is reflected within 100 ms: a forward step ends the grant
// early ('expired'), a backward step extends it (re-stated as 'updated' with the new expiry).
import type { Process } from '../../host/process.js';
import { trueTimeAtWall } from './clocks.js';

export type LeaseReason = 'acquired' | 'updated' | 'expired' | 'deleted' | 'taken' | 'lost';

const RECHECK_US = 100_000;

export class ServerJudgedLease {
  private holder: string | null = null;
  private expiresWallUs = 0;
  private emittedTrueUs = 0;
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

  /** The lease was granted or renewed: `holder` holds it until the server's wall clock reads `expiresWallUs`. */
  granted(holder: string, reason: 'acquired' | 'updated' | 'taken', expiresWallUs: number): void {
    this.holder = holder;
    this.expiresWallUs = expiresWallUs;
    this.emittedTrueUs = trueTimeAtWall(this.proc.host, this.proc.sim.nowUs, expiresWallUs);
    this.emit(holder, reason, this.emittedTrueUs);
    this.ensureTicking();
  }

  /** The lease ended on this server (deleted by its holder, expired, or lost with the data set). */
  ended(reason: 'deleted' | 'expired' | 'lost'): void {
    if (this.holder === null) return;
    const h = this.holder;
    this.holder = null;
    this.emit(h, reason);
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
      if (this.holder === null) {
        this.ticking = -1;
        return;
      }
      this.check();
      if (this.holder !== null) this.proc.after(RECHECK_US, tick);
      else this.ticking = -1;
    };
    this.proc.after(RECHECK_US, tick);
  }

  /** Compare the lease with the server's clock now. */
  check(): void {
    if (this.holder === null) return;
    const now = this.proc.sim.nowUs;
    if (this.proc.host.clock.wallUs(now) >= this.expiresWallUs) {
      this.ended('expired');
      return;
    }
    const predicted = trueTimeAtWall(this.proc.host, now, this.expiresWallUs);
    if (predicted > this.emittedTrueUs + 1000) {
      // the server's clock went back (or slowed): the lease lives longer than first stated
      this.emittedTrueUs = predicted;
      this.emit(this.holder, 'updated', predicted);
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
