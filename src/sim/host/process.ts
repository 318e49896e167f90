// A process on a simulated host: an etcd member, a Patroni agent, a postmaster, HAProxy, a client.
// The base class gives every model the same life cycle and the same faults:
//  - start / exit / crash: each start begins a new *incarnation*; everything scheduled by an
//    earlier incarnation (timers, task resumptions, message handlers) is dropped, so memory is lost
//    on a crash while whatever the model keeps on its host's disk survives.
//  - pause / resume (SIGSTOP / SIGCONT, a VM or GC freeze): true time passes, nothing runs; timers
//    that come due and messages that arrive wait in a backlog and run, in order, on resume.
// Models never schedule on the kernel directly: they use `after`, `sleep`, `spawn` and the network,
// which all route through `post`, so pause and crash apply to everything they do.
import type { Sim, Timer } from '../kernel/sim.js';
import { Fiber, suspend, type FiberOwner, type FiberResult, type Resume, type Suspend, type Task } from '../kernel/task.js';
import type { Micros } from '../kernel/time.js';
import type { Host } from './host.js';
import type { Network } from '../net/network.js';

export type ProcState = 'stopped' | 'running' | 'paused' | 'crashed';

/** Why a life of a process ended. */
export type ExitReason = 'exit' | 'crash' | 'power-loss';

declare module '../kernel/trace.js' {
  interface TraceMap {
    'proc.state': { host: string; proc: string; state: ProcState; reason?: string };
    'sim.bug': { host: string; proc: string; task: string; error: string };
  }
}

/** Thrown (as a simulator bug) when a task fails and nobody waits for it. */
export class UnhandledTaskError extends Error {}

export abstract class Process implements FiberOwner {
  private _state: ProcState = 'stopped';
  private _incarnation = 0;
  private backlog: (() => void)[] = [];
  private fibers = new Set<Fiber<unknown>>();
  /** Per-life listeners registered by the network layer (services this process serves). */
  private readonly listeners = new Map<string, unknown>();
  /** Per-life hooks run when the life ends (the network closes sockets here). */
  private exitHooks = new Set<(why: ExitReason) => void>();
  readonly sim: Sim;

  constructor(
    readonly host: Host,
    readonly name: string,
  ) {
    this.sim = host.sim;
    host.attach(this);
  }

  /** The network of this process's host. */
  get net(): Network {
    return this.host.net;
  }

  get state(): ProcState {
    return this._state;
  }

  get incarnation(): number {
    return this._incarnation;
  }

  get running(): boolean {
    return this._state === 'running';
  }

  /** Running or paused: the process exists and holds its sockets. */
  get alive(): boolean {
    return this._state === 'running' || this._state === 'paused';
  }

  /** A stable label for traces: "host/proc". */
  get label(): string {
    return `${this.host.name}/${this.name}`;
  }

  // ---- life cycle ---------------------------------------------------------------------------

  /** Start a new life. No-op if already alive or the host is down. */
  start(reason?: string): boolean {
    if (this.alive || !this.host.powered) return false;
    this._incarnation++;
    this._state = 'running';
    this.backlog = [];
    this.traceState(reason);
    this.onStart();
    return true;
  }

  /** The process exits on its own (clean shutdown finished). */
  exit(reason?: string): void {
    this.end('stopped', 'exit', reason);
  }

  /** kill -9, OOM killer, segfault: memory is lost, the disk is kept. */
  crash(reason?: string): void {
    this.end('crashed', 'crash', reason);
  }

  /** Called by the host when it loses power. */
  powerLoss(): void {
    this.end('crashed', 'power-loss', 'host lost power');
  }

  /** SIGSTOP. Timers and messages wait until `resume`. */
  pause(reason?: string): void {
    if (this._state !== 'running') return;
    this._state = 'paused';
    this.traceState(reason);
    this.onPause();
  }

  /** SIGCONT. Whatever waited runs now, in the order it arrived. */
  resume(reason?: string): void {
    if (this._state !== 'paused') return;
    this._state = 'running';
    this.traceState(reason);
    const inc = this._incarnation;
    // Drain in arrival order. If the process pauses or dies while draining, the rest stays (or is
    // dropped by `end`).
    while (this.backlog.length > 0 && this._state === 'running' && this._incarnation === inc) {
      const fn = this.backlog.shift() as () => void;
      fn();
    }
    this.onResume();
  }

  private end(state: ProcState, why: ExitReason, reason?: string): void {
    if (!this.alive) return;
    this._state = state;
    this._incarnation++;
    this.backlog = [];
    const fibers = [...this.fibers];
    this.fibers.clear();
    for (const f of fibers) f.cancel();
    this.listeners.clear();
    const hooks = [...this.exitHooks];
    this.exitHooks = new Set();
    this.traceState(reason);
    for (const h of hooks) h(why);
    this.onExit(why);
  }

  // ---- hooks for the network layer ---------------------------------------------------------

  /** Register a listener for `name` in this life (replaces an earlier one). */
  setListener(name: string, listener: unknown): void {
    this.listeners.set(name, listener);
  }

  /** The listener for `name` in this life, if any. */
  listener(name: string): unknown {
    return this.listeners.get(name);
  }

  /** Run `hook` when this life ends (crash, exit or power loss). */
  atExit(hook: (why: ExitReason) => void): () => void {
    if (!this.alive) return () => undefined;
    // hooks run in registration order (a Set keeps it); the returned function withdraws the hook,
    // so short-lived users (a connection) do not pile up on a long-lived process
    const hooks = this.exitHooks;
    hooks.add(hook);
    return () => void hooks.delete(hook);
  }

  private traceState(reason?: string): void {
    const rec: { host: string; proc: string; state: ProcState; reason?: string } = {
      host: this.host.name,
      proc: this.name,
      state: this._state,
    };
    if (reason !== undefined) rec.reason = reason;
    this.sim.trace.emit('proc.state', rec);
  }

  /** A new life begins: initialise memory, open listeners, start tasks. */
  protected abstract onStart(): void;
  /** A life ended. Memory state should be considered gone; disk state stays. */
  protected onExit(_why: ExitReason): void {}
  protected onPause(): void {}
  protected onResume(): void {}

  // ---- running code in the process ---------------------------------------------------------

  /** FiberOwner: would `post(fn, incarnation)` run `fn` right now? */
  runsNow(incarnation: number): boolean {
    return incarnation === this._incarnation && this._state === 'running';
  }

  /** FiberOwner: run `fn` now if running, later if paused, never if `incarnation` has ended. */
  post(fn: () => void, incarnation: number): void {
    if (incarnation !== this._incarnation) return;
    if (this._state === 'running') fn();
    else if (this._state === 'paused') this.backlog.push(fn);
  }

  fiberFailed(fiber: Fiber<unknown>, err: unknown): void {
    const msg = err instanceof Error ? (err.stack ?? err.message) : String(err);
    this.sim.trace.emit('sim.bug', { host: this.host.name, proc: this.name, task: fiber.name, error: msg });
    throw new UnhandledTaskError(`task ${fiber.name} in ${this.label} failed: ${msg}`);
  }

  /** Current monotonic time of this host (local microseconds). */
  monoUs(): number {
    return this.host.clock.monoUs(this.sim.nowUs);
  }

  /** Current wall-clock time of this host (local microseconds since the run's epoch). */
  wallUs(): number {
    return this.host.clock.wallUs(this.sim.nowUs);
  }

  /** Run `fn` after `localUs` of this host's monotonic time, in this life of the process. */
  after(localUs: Micros, fn: () => void): Timer {
    return this.sim.scheduleIn(this.host.clock.trueDelayFor(localUs), this, this._incarnation, fn);
  }

  /** Wrap a callback so it runs in this life of the process (paused: later; dead: never). */
  bind<A extends unknown[]>(fn: (...args: A) => void): (...args: A) => void {
    const inc = this._incarnation;
    return (...args: A) => this.post(() => fn(...args), inc);
  }

  /** Sleep `localUs` of monotonic time. */
  *sleep(localUs: Micros): Task<void> {
    yield new SleepWait(this.sim, this.host.clock.trueDelayFor(localUs));
  }

  /**
   * Start a task in this process. It dies with this life of the process. `onDone` (if given) is
   * attached before the task starts, so a task that fails at once is still reported to it.
   */
  spawn<T>(name: string, task: Task<T>, onDone?: (r: FiberResult<T>) => void): Fiber<T> {
    const f = new Fiber<T>(this, task, name);
    const set = this.fibers;
    set.add(f as Fiber<unknown>);
    f.cleanup = () => set.delete(f as Fiber<unknown>);
    if (onDone) f.onDone(onDone);
    if (this._state === 'running') f.start();
    else if (this._state === 'paused') this.backlog.push(() => f.start());
    else f.cancel();
    return f;
  }

  /** Run several tasks concurrently in this process and wait for all (like a thread pool map). */
  *all<T>(name: string, tasks: Task<T>[]): Task<T[]> {
    const fibers = tasks.map((t, i) => this.spawn(`${name}[${i}]`, t));
    const out: T[] = [];
    for (const f of fibers) out.push(yield* f.join());
    return out;
  }
}

/** The suspension of `Process.sleep`: a timer of `trueDelayUs` (an object, not closures). */
class SleepWait implements Suspend {
  private timer: Timer | null = null;

  constructor(
    private readonly sim: Sim,
    private readonly trueDelayUs: Micros,
  ) {}

  start(resume: Resume): void {
    this.timer = this.sim.schedule(this.trueDelayUs, () => resume.ok());
  }

  abort(): void {
    this.timer?.cancel();
  }
}

/**
 * threading.Event: `wait(timeout)` returns true as soon as the event is set, false on timeout.
 * Patroni's HA loop sleeps on one of these (`dcs.event`) so a watch or an API call can wake it.
 */
export class Signal {
  private flag = false;
  private waiters: { resume: (v: boolean) => void }[] = [];

  constructor(private readonly proc: Process) {}

  get isSet(): boolean {
    return this.flag;
  }

  set(): void {
    this.flag = true;
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) w.resume(true);
  }

  clear(): void {
    this.flag = false;
  }

  *wait(localTimeoutUs: Micros): Task<boolean> {
    if (this.flag) return true;
    let timer: Timer | null = null;
    let entry: { resume: (v: boolean) => void } | null = null;
    const sim = this.proc.sim;
    const clock = this.proc.host.clock;
    return yield* suspend<boolean>({
      start: (resume) => {
        let settled = false;
        const finish = (v: boolean): void => {
          if (settled) return;
          settled = true;
          timer?.cancel();
          if (entry) {
            const i = this.waiters.indexOf(entry);
            if (i >= 0) this.waiters.splice(i, 1);
          }
          resume.ok(v);
        };
        entry = { resume: finish };
        this.waiters.push(entry);
        timer = sim.schedule(clock.trueDelayFor(localTimeoutUs), () => finish(false));
      },
      abort: () => {
        timer?.cancel();
        if (entry) {
          const i = this.waiters.indexOf(entry);
          if (i >= 0) this.waiters.splice(i, 1);
        }
      },
    });
  }
}
