// A host's disk as PostgreSQL sees it: the latency of an fsync, which a stall fault can raise
// for a while (a saturated SAN, a hung NFS mount, a dying SSD).
import type { Micros } from '../kernel/time.js';

export interface DiskSpec {
  /** Median fsync latency. Default 0.5 ms (a datacentre SSD). */
  fsyncUs: Micros;
}

export class Disk {
  private stallUntilUs = -1;
  private stallLatencyUs = 0;

  constructor(readonly spec: DiskSpec = { fsyncUs: 500 }) {}

  /** From now until `untilUs`, every fsync takes at least `latencyUs`. */
  stall(untilUs: Micros, latencyUs: Micros): void {
    this.stallUntilUs = untilUs;
    this.stallLatencyUs = latencyUs;
  }

  clearStall(): void {
    this.stallUntilUs = -1;
  }

  /**
   * How long an fsync issued at `nowUs` takes. During a stall, it completes no earlier than the
   * stall's end or the stall latency, whichever comes first.
   */
  fsyncDelayUs(nowUs: Micros): Micros {
    if (nowUs < this.stallUntilUs) {
      return Math.max(this.spec.fsyncUs, Math.min(this.stallLatencyUs, this.stallUntilUs - nowUs));
    }
    return this.spec.fsyncUs;
  }

  /** Whether an fsync issued at `nowUs` is slowed by a stall. */
  stalledAt(nowUs: Micros): boolean {
    return nowUs < this.stallUntilUs;
  }
}
