// One direction of a TCP connection: in-order delivery with retransmission. A segment that meets
// a cut link, a powered-off host or a lost packet is retried after an RTO that doubles (200 ms up
// to 120 s), so a short partition delays a stream but loses nothing — as with real TCP. After
// `MAX_RETRIES` failed attempts the connection is broken (ETIMEDOUT). Later segments wait behind
// the head, preserving order.
import type { Sim, Timer } from '../kernel/sim.js';

export const RTO_MIN_US = 200_000;
export const RTO_MAX_US = 120_000_000;
/** Linux tcp_retries2 = 15 (about 15 minutes of retrying). */
export const MAX_RETRIES = 15;

interface Segment {
  atUs: number;
  attempts: number;
  deliver: () => void;
}

/** Asked at each delivery attempt: can the segment get through now? */
export type PathCheck = () => 'ok' | 'cut' | 'host-down' | 'lost';

export class Channel {
  private q: Segment[] = [];
  private head = 0;
  private timer: Timer | null = null;
  private lastAtUs = 0;
  private readonly fireBound = (): void => this.fire();
  broken = false;

  constructor(
    private readonly sim: Sim,
    private readonly check: PathCheck,
    private readonly rttUs: () => number,
    /** Called once if retries are exhausted. */
    private readonly onBroken: () => void,
    /** Called for every failed attempt (for the trace). */
    private readonly onRetry: (why: 'cut' | 'host-down' | 'lost', attempt: number) => void,
  ) {}

  /** Queue a segment that would arrive at `atUs` on a healthy path. */
  push(atUs: number, deliver: () => void): void {
    if (this.broken) return;
    const t = Math.max(atUs, this.lastAtUs);
    this.lastAtUs = t;
    this.q.push({ atUs: t, attempts: 0, deliver });
    if (this.timer === null) this.arm();
  }

  /** Drop everything still queued (the connection is gone). */
  abort(): void {
    this.broken = true;
    this.q = [];
    this.head = 0;
    this.timer?.cancel();
    this.timer = null;
  }

  get queued(): number {
    return this.q.length - this.head;
  }

  private arm(): void {
    const seg = this.q[this.head];
    if (seg === undefined) {
      this.timer = null;
      if (this.head > 0) {
        this.q = [];
        this.head = 0;
      }
      return;
    }
    this.timer = this.sim.at(seg.atUs, this.fireBound);
  }

  private fire(): void {
    this.timer = null;
    const seg = this.q[this.head];
    if (seg === undefined || this.broken) return;
    const status = this.check();
    if (status !== 'ok') {
      seg.attempts++;
      this.onRetry(status, seg.attempts);
      if (seg.attempts > MAX_RETRIES) {
        this.abort();
        this.onBroken();
        return;
      }
      const rto = Math.min(RTO_MAX_US, Math.max(RTO_MIN_US, this.rttUs()) * 2 ** (seg.attempts - 1));
      seg.atUs = this.sim.nowUs + rto;
      this.arm();
      return;
    }
    this.head++;
    if (this.head > 1024 && this.head * 2 > this.q.length) {
      this.q = this.q.slice(this.head);
      this.head = 0;
    }
    seg.deliver();
    // the next segment may have been due already (it waited behind this one)
    const next = this.q[this.head];
    if (next !== undefined && next.atUs < this.sim.nowUs) next.atUs = this.sim.nowUs;
    if (!this.broken && this.timer === null) this.arm();
  }
}
