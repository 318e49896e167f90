// Cooperative tasks. Patroni's HA loop is sequential, blocking code (get the cluster, call each
// member's REST API with a 2 s timeout, sleep, ...). We write its port the same way, as generator
// functions: every blocking call is a `yield*` of a Task, and the kernel resumes the generator
// when the simulated operation completes. No Promises: a run is one synchronous loop over the
// event queue, so the order of everything is the order of events.
//
//   function* runCycle(this: Ha): Task<string> {
//     const cluster = yield* this.dcs.getCluster();   // may throw DCSError
//     yield* this.proc.sleep(msToUs(2000));
//     ...
//   }

/** How a suspended task is continued: exactly one of `ok` / `fail`, exactly once. */
export interface Resume {
  ok(value?: unknown): void;
  fail(err: unknown): void;
}

/** A suspension point. `start` arranges for `resume` to be called later (or at once). */
export interface Suspend {
  start(resume: Resume): void;
  /** Called when the waiting fiber is cancelled, so the operation can release what it holds. */
  abort?(): void;
}

export type Task<T = void> = Generator<Suspend, T, unknown>;

/** Suspend the current task until `s` resumes it; returns the value it resumed with. */
export function* suspend<T>(s: Suspend): Task<T> {
  return (yield s) as T;
}

/** A Task that finishes immediately with `value` (handy for interface methods with no wait). */
// eslint-disable-next-line require-yield
export function* done<T>(value: T): Task<T> {
  return value;
}

/** Where a fiber runs: a process, which may be paused (resumptions wait) or gone (they are dropped). */
export interface FiberOwner {
  /** Current life of the owner; resumptions captured in an earlier life are dropped. */
  readonly incarnation: number;
  /** Run `fn` in the owner's context: now if running, on resume if paused, never if that life ended. */
  post(fn: () => void, incarnation: number): void;
  /** Whether `post(fn, incarnation)` would run `fn` at once (lets a fiber resume without a closure). */
  runsNow(incarnation: number): boolean;
  /** A fiber ended with an exception nobody caught. */
  fiberFailed(fiber: Fiber<unknown>, err: unknown): void;
}

export type FiberResult<T> = { ok: true; value: T } | { ok: false; error: unknown };

type FiberState = 'running' | 'suspended' | 'done' | 'cancelled';

/** One running task. Owned by a process; dies with the process's incarnation. */
export class Fiber<T> {
  private state: FiberState = 'running';
  private current: Suspend | null = null;
  private result: FiberResult<T> | null = null;
  private waiters: ((r: FiberResult<T>) => void)[] = [];
  /** Owner bookkeeping run when the fiber ends; does not count as somebody handling its result. */
  cleanup: (() => void) | null = null;
  private readonly incarnation: number;
  // trampoline: a resumption that arrives while we are inside gen.next() is queued, not nested
  private stepping = false;
  private pendingResume: { isError: boolean; value: unknown } | null = null;

  constructor(
    private readonly owner: FiberOwner,
    private readonly gen: Task<T>,
    readonly name: string,
  ) {
    this.incarnation = owner.incarnation;
  }

  /** Begin running (synchronously, until the first suspension). */
  start(): this {
    this.advance(false, undefined);
    return this;
  }

  get isDone(): boolean {
    return this.state === 'done' || this.state === 'cancelled';
  }

  get outcome(): FiberResult<T> | null {
    return this.result;
  }

  /** Stop the fiber where it is. Its generator is abandoned (like a killed thread: no finally). */
  cancel(): void {
    if (this.isDone) return;
    this.state = 'cancelled';
    const cur = this.current;
    this.current = null;
    if (cur?.abort) cur.abort();
    const r: FiberResult<T> = { ok: false, error: new FiberCancelled(this.name) };
    this.result = r;
    this.notify(r);
  }

  /** Be told when the fiber ends (at once if it already has). */
  onDone(cb: (r: FiberResult<T>) => void): void {
    if (this.result) cb(this.result);
    else this.waiters.push(cb);
  }

  /** A Task that waits for this fiber and returns its value (or rethrows its error). */
  *join(): Task<T> {
    const r = yield* suspend<FiberResult<T>>({ start: (resume) => this.onDone((res) => resume.ok(res)) });
    if (r.ok) return r.value;
    throw r.error;
  }

  /** Continue after a suspension, in the owner's context (what `owner.post` would do). */
  resumeWith(isError: boolean, value: unknown): void {
    const o = this.owner;
    if (o.runsNow(this.incarnation)) this.advance(isError, value);
    else o.post(() => this.advance(isError, value), this.incarnation);
  }

  private advance(isError: boolean, value: unknown): void {
    if (this.state === 'done' || this.state === 'cancelled') return;
    if (this.stepping) {
      this.pendingResume = { isError, value };
      return;
    }
    this.stepping = true;
    try {
      let err = isError;
      let val = value;
      for (;;) {
        this.state = 'running';
        this.current = null;
        let r: IteratorResult<Suspend, T>;
        try {
          r = err ? this.gen.throw(val) : this.gen.next(val);
        } catch (e) {
          this.finish({ ok: false, error: e });
          return;
        }
        if (r.done) {
          this.finish({ ok: true, value: r.value });
          return;
        }
        const s = r.value;
        this.current = s;
        this.state = 'suspended';
        s.start(new FiberResume(this as Fiber<unknown>));
        const p = this.pendingResume;
        if (p === null || (this.state as FiberState) !== 'suspended') return;
        this.pendingResume = null;
        err = p.isError;
        val = p.value;
      }
    } finally {
      this.stepping = false;
    }
  }

  private finish(r: FiberResult<T>): void {
    this.state = 'done';
    this.result = r;
    const hadWaiters = this.waiters.length > 0;
    this.notify(r);
    if (!r.ok && !hadWaiters) this.owner.fiberFailed(this as Fiber<unknown>, r.error);
  }

  private notify(r: FiberResult<T>): void {
    const c = this.cleanup;
    this.cleanup = null;
    if (c) c();
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) w(r);
  }
}

/** The `Resume` handed to one suspension of a fiber: the first `ok` / `fail` wins, later ones are ignored. */
class FiberResume implements Resume {
  private used = false;

  constructor(private readonly fiber: Fiber<unknown>) {}

  ok(value?: unknown): void {
    if (this.used) return;
    this.used = true;
    this.fiber.resumeWith(false, value);
  }

  fail(err: unknown): void {
    if (this.used) return;
    this.used = true;
    this.fiber.resumeWith(true, err);
  }
}

export class FiberCancelled extends Error {
  constructor(name: string) {
    super(`task ${name} was cancelled`);
    this.name = 'FiberCancelled';
  }
}

/**
 * A one-shot value that tasks can wait for (a future). Completing it resumes every waiter.
 */
export class Deferred<T> {
  private value: FiberResult<T> | null = null;
  private waiters: Resume[] = [];

  get settled(): boolean {
    return this.value !== null;
  }

  resolve(v: T): void {
    this.settle({ ok: true, value: v });
  }

  reject(e: unknown): void {
    this.settle({ ok: false, error: e });
  }

  private settle(r: FiberResult<T>): void {
    if (this.value) return;
    this.value = r;
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) {
      if (r.ok) w.ok(r.value);
      else w.fail(r.error);
    }
  }

  *wait(): Task<T> {
    const v = this.value;
    if (v) {
      if (v.ok) return v.value;
      throw v.error;
    }
    return yield* suspend<T>({
      start: (resume) => {
        this.waiters.push(resume);
      },
    });
  }
}
