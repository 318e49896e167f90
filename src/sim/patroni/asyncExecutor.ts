// A port of `patroni/async_executor.py`: long actions (start, restart, promote, demote 'graceful',
// pg_rewind, reinitialize, bootstrap...) run on a second thread of the Patroni process, one at a time.
// Here the "thread" is a fiber of the same Process, so SIGSTOP and kill -9 of Patroni stop it too.
//
// Patroni's `with self._async_executor:` is an RLock that `Ha.run_cycle` holds for the whole HA
// cycle. `AsyncExecutor.run` takes it before calling the action and again to clear
// `scheduled_action` when the action ends, so (a) an action scheduled during a cycle starts only
// after that cycle returns, and (b) an action that ends during a cycle still looks busy until the
// cycle returns. `ReentrantLock` keeps both.
import { suspend, type Fiber, type Task } from '../kernel/task.js';
import type { Process } from '../host/process.js';
import { isModelledError } from './errors.js';

/** threading.RLock for fibers: owners are named ("ha", "async", "api"); re-entry by the same owner nests. */
export class ReentrantLock {
  private owner: string | null = null;
  private depth = 0;
  private waiters: { owner: string; resume: () => void }[] = [];

  get heldBy(): string | null {
    return this.owner;
  }

  *acquire(owner: string): Task<void> {
    if (this.owner === null || this.owner === owner) {
      this.owner = owner;
      this.depth++;
      return;
    }
    yield* suspend<void>({
      start: (resume) => {
        this.waiters.push({ owner, resume: () => resume.ok() });
      },
    });
  }

  /** Try without waiting (for code that cannot block). */
  tryAcquire(owner: string): boolean {
    if (this.owner === null || this.owner === owner) {
      this.owner = owner;
      this.depth++;
      return true;
    }
    return false;
  }

  release(owner: string): void {
    if (this.owner !== owner) return;
    this.depth--;
    if (this.depth > 0) return;
    this.owner = null;
    const next = this.waiters.shift();
    if (next) {
      this.owner = next.owner;
      this.depth = 1;
      next.resume();
    }
  }

  /** A thread holding the lock was killed: its `with` blocks unwind, releasing every level it held. */
  releaseAll(owner: string): void {
    if (this.owner !== owner) {
      this.waiters = this.waiters.filter((w) => w.owner !== owner);
      return;
    }
    this.depth = 1;
    this.release(owner);
  }

  /** Forget everything (the process died: threads and locks are gone). */
  reset(): void {
    this.owner = null;
    this.depth = 0;
    this.waiters = [];
  }
}

/** `patroni/async_executor.py CriticalTask`: a task the main thread may cancel unless it already completed. */
export class CriticalTask<T = unknown> {
  is_cancelled = false;
  result: T | null = null;

  reset(): void {
    this.is_cancelled = false;
    this.result = null;
  }

  /** False if the task already ran (its result is in `result`), true if cancelled. */
  cancel(): boolean {
    if (this.result !== null) return false;
    this.is_cancelled = true;
    return true;
  }

  complete(result: T): void {
    this.result = result;
  }
}

export type AsyncAction = () => Task<unknown>;

/** `patroni/async_executor.py AsyncExecutor` */
export class AsyncExecutor {
  private scheduled: string | null = null;
  private isCancelled = false;
  private running: Fiber<unknown> | null = null;
  readonly critical_task = new CriticalTask<unknown>();
  readonly lock = new ReentrantLock();

  constructor(
    private readonly proc: Process,
    /** `Ha.wakeup` */
    private readonly haWakeup: () => void,
  ) {}

  get busy(): boolean {
    return this.scheduled !== null;
  }

  get scheduled_action(): string | null {
    return this.scheduled;
  }

  /** `CancellableSubprocess.is_cancelled` as the running action sees it. */
  get cancelled(): boolean {
    return this.isCancelled;
  }

  /** `AsyncExecutor.schedule`: null if scheduled, else the action already scheduled. */
  schedule(action: string): string | null {
    if (this.scheduled !== null) return this.scheduled;
    this.scheduled = action;
    this.isCancelled = false;
    return null;
  }

  reset_scheduled_action(): void {
    this.scheduled = null;
  }

  /** `AsyncExecutor.run`, as a Task (used directly for synchronous restarts and inside run_async). */
  *run(func: AsyncAction): Task<unknown> {
    let wakeup: unknown = undefined;
    try {
      yield* this.lock.acquire('async');
      const cancelled = this.isCancelled;
      this.lock.release('async');
      if (cancelled) return null;
      wakeup = yield* func();
      return wakeup;
    } catch (e) {
      // `logger.exception('Exception during execution of long running task ...')`: the action ends
      if (!isModelledError(e)) throw e;
      wakeup = undefined;
      return null;
    } finally {
      this.finish(wakeup);
    }
  }

  /** `with self: reset_scheduled_action(); critical_task.reset()`, once the HA cycle lets go. */
  private finish(wakeup: unknown): void {
    const done = (): void => {
      this.reset_scheduled_action();
      this.running = null;
      this.critical_task.reset();
      if (wakeup !== undefined && wakeup !== null) this.haWakeup();
    };
    if (this.lock.tryAcquire('async')) {
      done();
      this.lock.release('async');
    } else {
      this.proc.spawn('async-executor:finish', this.finishWhenFree(done));
    }
  }

  private *finishWhenFree(done: () => void): Task<void> {
    yield* this.lock.acquire('async');
    done();
    this.lock.release('async');
  }

  /** `AsyncExecutor.run_async` */
  run_async(func: AsyncAction): void {
    this.running = this.proc.spawn(`async:${this.scheduled ?? 'action'}`, this.run(func));
  }

  /** `AsyncExecutor.try_run_async`: null if scheduled, else Patroni's "Failed to run ..." message. */
  try_run_async(action: string, func: AsyncAction): string | null {
    const prev = this.schedule(action);
    if (prev === null) {
      this.run_async(func);
      return null;
    }
    return `Failed to run ${action}, ${prev} is already in progress`;
  }

  /**
   * `AsyncExecutor.cancel` / `CancellableSubprocess.cancel`: the running action's subprocess
   * (pg_rewind, pg_basebackup, postgres --single, pg_ctl) is killed and the action ends.
   * Simplification: the whole action stops where it is (its remaining Python statements after the
   * killed subprocess returned are not run); the scheduled action is cleared at once.
   */
  cancel(): void {
    if (this.scheduled === null) return;
    this.isCancelled = true;
    const f = this.running;
    this.running = null;
    if (f && !f.isDone) {
      f.cancel();
      this.lock.releaseAll('async');
    }
    this.reset_scheduled_action();
    this.critical_task.reset();
  }
}
