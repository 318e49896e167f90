// The discrete-event kernel: one queue of events ordered by (true time, insertion sequence),
// cancellable timers, named random streams and the trace. Nothing here reads the wall clock;
// a run is a pure function of what is scheduled and the seed.
import { EventHeap } from './heap.js';
import { RngRegistry, type Rng } from './rng.js';
import { Trace, type TraceOptions } from './trace.js';
import type { Micros } from './time.js';

/** Where a timer's callback runs when it is bound to one life of a process (see `Sim.scheduleIn`). */
export interface TimerOwner {
  post(fn: () => void, incarnation: number): void;
}

/** A scheduled callback. `cancel()` is O(1); the entry is skipped when it reaches the top. */
export class Timer {
  cancelled = false;
  constructor(
    public timeUs: Micros,
    public seq: number,
    public fn: (() => void) | null,
    /** If set, the callback is handed to `owner.post(fn, inc)` instead of being called directly. */
    public owner: TimerOwner | null = null,
    public inc = 0,
  ) {}

  cancel(): void {
    this.cancelled = true;
    this.fn = null;
  }

  /** True once fired or cancelled. */
  get done(): boolean {
    return this.fn === null;
  }
}

export interface SimOptions {
  seed: string;
  trace?: TraceOptions;
}

export class SimulationError extends Error {}

export class Sim {
  readonly seed: string;
  readonly trace: Trace;
  private readonly queue = new EventHeap<Timer>();
  private readonly rngs: RngRegistry;
  private seq = 0;
  private _nowUs: Micros = 0;
  private _eventsRun = 0;
  private stopRequested = false;

  constructor(opts: SimOptions) {
    this.seed = opts.seed;
    this.rngs = new RngRegistry(opts.seed);
    this.trace = new Trace(() => this._nowUs, opts.trace);
  }

  /** Current true time. */
  get nowUs(): Micros {
    return this._nowUs;
  }

  /** Number of events executed so far (cancelled timers excluded). */
  get eventsRun(): number {
    return this._eventsRun;
  }

  /** Events waiting in the queue (including cancelled ones not yet discarded). */
  get pending(): number {
    return this.queue.size;
  }

  /** Named, independent random stream derived from the run seed. */
  rng(name: string): Rng {
    return this.rngs.stream(name);
  }

  /** Run `fn` after `delayUs` of true time (rounded to whole microseconds, never negative). */
  schedule(delayUs: Micros, fn: () => void): Timer {
    const d = delayUs > 0 ? Math.round(delayUs) : 0;
    const t = new Timer(this._nowUs + d, this.seq++, fn);
    this.queue.push(t);
    return t;
  }

  /**
   * Like `schedule`, but when the time comes the callback is posted to `owner` for its life
   * `incarnation` (what `() => owner.post(fn, incarnation)` would do, without a closure per timer).
   */
  scheduleIn(delayUs: Micros, owner: TimerOwner, incarnation: number, fn: () => void): Timer {
    const d = delayUs > 0 ? Math.round(delayUs) : 0;
    const t = new Timer(this._nowUs + d, this.seq++, fn, owner, incarnation);
    this.queue.push(t);
    return t;
  }

  /**
   * Schedule again a timer that has already fired (it left the queue when it ran), as `at(timeUs, fn)`
   * would, reusing the object. For owners that keep one timer and re-arm it for every event (a TCP
   * channel's next segment). A cancelled or pending timer may still be in the queue: not allowed.
   */
  rearmAt(t: Timer, timeUs: Micros, fn: () => void): Timer {
    if (t.fn !== null || t.cancelled || t.owner !== null) throw new SimulationError('rearmAt: the timer has not fired');
    const delayUs = timeUs - this._nowUs;
    const d = delayUs > 0 ? Math.round(delayUs) : 0;
    t.timeUs = this._nowUs + d;
    t.seq = this.seq++;
    t.fn = fn;
    this.queue.push(t);
    return t;
  }

  /** Run `fn` at absolute true time `timeUs` (or now, if that is in the past). */
  at(timeUs: Micros, fn: () => void): Timer {
    return this.schedule(timeUs - this._nowUs, fn);
  }

  /** Stop `run` after the current event. */
  stop(): void {
    this.stopRequested = true;
  }

  /**
   * Execute events in order until the queue is empty, `stop()` is called, or the next event lies
   * beyond `untilUs`; then advance the clock to `untilUs` (if given and not stopped).
   * Returns the number of events executed.
   */
  run(untilUs: Micros = Number.POSITIVE_INFINITY): number {
    this.stopRequested = false;
    const q = this.queue;
    let n = 0;
    for (;;) {
      const top = q.peek();
      if (top === undefined || top.timeUs > untilUs) break;
      q.pop();
      const fn = top.fn;
      if (fn === null) continue;
      top.fn = null;
      this._nowUs = top.timeUs;
      n++;
      const owner = top.owner;
      if (owner === null) fn();
      else owner.post(fn, top.inc);
      if (this.stopRequested) break;
    }
    if (!this.stopRequested && Number.isFinite(untilUs) && untilUs > this._nowUs) this._nowUs = untilUs;
    this._eventsRun += n;
    return n;
  }

  /** Execute exactly one (non-cancelled) event, if any. Returns false when the queue is empty. */
  step(): boolean {
    const q = this.queue;
    for (;;) {
      const top = q.pop();
      if (top === undefined) return false;
      const fn = top.fn;
      if (fn === null) continue;
      top.fn = null;
      this._nowUs = top.timeUs;
      this._eventsRun++;
      const owner = top.owner;
      if (owner === null) fn();
      else owner.post(fn, top.inc);
      return true;
    }
  }
}
