// etcd's lessor as it runs on the leader (server/lease/lessor.go). Expiry is memory only, kept on
// the leader's monotonic clock:
//  - Promote (on becoming leader): every lease gets a fresh TTL plus `extend` = the election
//    timeout (etcdserver: `s.lessor.Promote(s.Cfg.ElectionTimeout())`), so a leader change can only
//    make expiry later;
//  - Renew (keepalive): expiry = now + TTL, on the primary only;
//  - runLoop: every 500 ms the primary collects expired leases and proposes their revocation
//    through raft; a revocation that did not commit is retried after 3 s
//    (`expiredLeaseRetryInterval`);
//  - Demote: a former leader stops expiring leases at all (expiry becomes "forever").
import type { Process } from '../../host/process.js';

const CHECK_INTERVAL_US = 500_000;
const RETRY_REVOKE_US = 3_000_000;

export class Lessor {
  /** Lease id → expiry in local monotonic µs (primary only). */
  private readonly expiry = new Map<number, number>();
  private readonly revoking = new Map<number, number>();
  private primary = false;
  private loopArmed = false;

  constructor(
    private readonly proc: Process,
    /** TTL in seconds of a lease known to the state machine, or undefined. */
    private readonly ttlOf: (id: number) => number | undefined,
    private readonly allLeases: () => number[],
    /** Propose the revocation of an expired lease. */
    private readonly revoke: (id: number) => void,
  ) {}

  get isPrimary(): boolean {
    return this.primary;
  }

  promote(extendUs: number): void {
    this.primary = true;
    this.expiry.clear();
    this.revoking.clear();
    const now = this.proc.monoUs();
    for (const id of this.allLeases()) {
      const ttl = this.ttlOf(id);
      if (ttl !== undefined) this.expiry.set(id, now + ttl * 1e6 + extendUs);
    }
    if (!this.loopArmed) {
      this.loopArmed = true;
      this.proc.after(CHECK_INTERVAL_US, () => this.runLoop());
    }
  }

  demote(): void {
    this.primary = false;
    this.expiry.clear();
    this.revoking.clear();
  }

  /** A lease grant was applied (on every member; only the primary tracks expiry). */
  granted(id: number, ttlS: number): void {
    if (this.primary) this.expiry.set(id, this.proc.monoUs() + ttlS * 1e6);
  }

  revoked(id: number): void {
    this.expiry.delete(id);
    this.revoking.delete(id);
  }

  /** Renew on the primary; returns the TTL, or -1 if the lease is unknown or expired. */
  renew(id: number): number {
    const ttl = this.ttlOf(id);
    if (ttl === undefined) return -1;
    const exp = this.expiry.get(id);
    const now = this.proc.monoUs();
    // lessor.Renew: an expired lease is waiting for its revocation; it cannot be renewed
    if (exp !== undefined && exp <= now) return -1;
    this.expiry.set(id, now + ttl * 1e6);
    return ttl;
  }

  /** Local monotonic expiry of a lease on this primary (undefined if not tracked). */
  expiresAtLocalUs(id: number): number | undefined {
    return this.primary ? this.expiry.get(id) : undefined;
  }

  private runLoop(): void {
    if (!this.primary) {
      this.loopArmed = false;
      return;
    }
    this.proc.after(CHECK_INTERVAL_US, () => this.runLoop());
    const now = this.proc.monoUs();
    const due: number[] = [];
    for (const [id, exp] of this.expiry) {
      if (exp > now) continue;
      const last = this.revoking.get(id);
      if (last !== undefined && now - last < RETRY_REVOKE_US) continue;
      due.push(id);
    }
    due.sort((a, b) => a - b);
    for (const id of due) {
      this.revoking.set(id, now);
      this.revoke(id);
    }
  }
}
