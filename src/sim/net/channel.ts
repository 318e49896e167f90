// One direction of a TCP connection: in-order delivery with retransmission. A segment that meets
// a cut link, a powered-off host or a lost packet is retried after an RTO that doubles (200 ms up
// to 120 s), so a short partition delays a stream but loses nothing — as with real TCP. After
// `MAX_RETRIES` failed attempts the connection is broken (ETIMEDOUT). Later segments wait behind
// the head, preserving order.
import type { Sim, Timer } from '../kernel/sim.js';
import type { Host } from '../host/host.js';

export const RTO_MIN_US = 200_000;
export const RTO_MAX_US = 120_000_000;
/** Linux tcp_retries2 = 15 (about 15 minutes of retrying). */
export const MAX_RETRIES = 15;

/** What a channel asks of the network: the path's state at each attempt and its base round trip. */
export interface ChannelPath {
  readonly sim: Sim;
  /** Asked at each delivery attempt: can a segment from a to b get through now? */
  pathCheck(a: Host, b: Host): 'ok' | 'cut' | 'host-down' | 'lost';
  baseRttUs(a: Host, b: Host): number;
}

/** Runs at the receiver's host when a segment arrives, with the segment's `arg`. */
export type Deliver = (arg: unknown) => void;

/** One queued segment: everything its delivery needs, in one object (no closure per message). */
class Segment {
  attempts = 0;
  constructor(
    public atUs: number,
    /** Message id and send time, for the `net.msg` record. */
    readonly id: number,
    readonly sentUs: number,
    readonly what: string,
    readonly deliver: Deliver,
    readonly arg: unknown,
  ) {}
}

export class Channel {
  /**
   * Segments in order in q[head..tail); slots before `head` are cleared. The array is reused when the
   * channel drains (most channels carry one segment at a time: no new array per message).
   */
  private q: (Segment | undefined)[] = [];
  private head = 0;
  private tail = 0;
  private timer: Timer | null = null;
  /** The timer that fired last (out of the queue), re-armed for the next segment instead of a new one. */
  private spare: Timer | null = null;
  private lastAtUs = 0;
  private readonly fireBound = (): void => this.fire();
  broken = false;

  constructor(
    private readonly net: ChannelPath,
    /** Sender and receiver hosts. */
    readonly a: Host,
    readonly b: Host,
    /** The connection's label (for retry records). */
    private readonly what: string,
    /** Called once if retries are exhausted. */
    private readonly onBroken: () => void,
  ) {}

  /** Queue a segment that would arrive at `atUs` on a healthy path; `deliver(arg)` runs when it arrives. */
  push(atUs: number, id: number, sentUs: number, what: string, deliver: Deliver, arg: unknown): void {
    if (this.broken) return;
    const t = Math.max(atUs, this.lastAtUs);
    this.lastAtUs = t;
    this.q[this.tail++] = new Segment(t, id, sentUs, what, deliver, arg);
    if (this.timer === null) this.arm();
  }

  /** Drop everything still queued (the connection is gone). */
  abort(): void {
    this.broken = true;
    this.spare = null;
    this.q = [];
    this.head = 0;
    this.tail = 0;
    this.timer?.cancel();
    this.timer = null;
  }

  get queued(): number {
    return this.tail - this.head;
  }

  private arm(): void {
    const seg = this.head < this.tail ? this.q[this.head] : undefined;
    if (seg === undefined) {
      this.timer = null;
      this.head = 0;
      this.tail = 0;
      return;
    }
    const spare = this.spare;
    if (spare !== null) {
      this.spare = null;
      this.timer = this.net.sim.rearmAt(spare, seg.atUs, this.fireBound);
    } else this.timer = this.net.sim.at(seg.atUs, this.fireBound);
  }

  private fire(): void {
    // this channel's timer just ran: it is out of the queue and can be armed again
    this.spare = this.timer;
    this.timer = null;
    const seg = this.head < this.tail ? this.q[this.head] : undefined;
    if (seg === undefined || this.broken) return;
    const sim = this.net.sim;
    const status = this.net.pathCheck(this.a, this.b);
    if (status !== 'ok') {
      seg.attempts++;
      const tr = sim.trace;
      if (tr.messages) tr.emit('net.retry', { from: this.a.name, to: this.b.name, what: this.what, reason: status, attempt: seg.attempts });
      if (seg.attempts > MAX_RETRIES) {
        this.abort();
        this.onBroken();
        return;
      }
      const rto = Math.min(RTO_MAX_US, Math.max(RTO_MIN_US, this.net.baseRttUs(this.a, this.b)) * 2 ** (seg.attempts - 1));
      seg.atUs = sim.nowUs + rto;
      this.arm();
      return;
    }
    this.q[this.head++] = undefined;
    if (this.head > 1024 && this.head * 2 > this.tail) {
      this.q = this.q.slice(this.head, this.tail);
      this.tail -= this.head;
      this.head = 0;
    }
    const tr = sim.trace;
    if (tr.messages) tr.emitMessage(seg.id, this.a.name, this.b.name, seg.what, seg.sentUs);
    seg.deliver(seg.arg);
    // the next segment may have been due already (it waited behind this one)
    const next = this.head < this.tail ? this.q[this.head] : undefined;
    if (next !== undefined && next.atUs < sim.nowUs) next.atUs = sim.nowUs;
    if (!this.broken && this.timer === null) this.arm();
  }
}
