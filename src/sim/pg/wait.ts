// Waiting primitives for Tasks that run in a *caller's* process (Patroni's, an operator's) while
// the thing they wait for happens in another process (the postmaster). Like `Process.sleep`, they
// only arm a timer; the resumption goes through the caller's fiber, so a paused or killed caller
// stops waiting exactly as it would in real life.
import type { Timer } from '../kernel/sim.js';
import { suspend, type Suspend, type Task } from '../kernel/task.js';
import type { Host } from '../host/host.js';

/** Sleep `localUs` of `host`'s monotonic clock. */
export function* sleepOn(host: Host, localUs: number): Task<void> {
  let timer: Timer | null = null;
  yield* suspend<void>({
    start: (resume) => {
      timer = host.sim.schedule(host.clock.trueDelayFor(localUs), () => resume.ok());
    },
    abort: () => timer?.cancel(),
  });
}

/** A one-shot result produced in one process and awaited (with a timeout) in another. */
export class Completion<T> {
  private result: { ok: true; value: T } | { ok: false; error: unknown } | null = null;
  private listeners: ((r: { ok: true; value: T } | { ok: false; error: unknown }) => void)[] = [];

  resolve(value: T): void {
    this.settle({ ok: true, value });
  }

  reject(error: unknown): void {
    this.settle({ ok: false, error });
  }

  private settle(r: { ok: true; value: T } | { ok: false; error: unknown }): void {
    if (this.result !== null) return;
    this.result = r;
    const ls = this.listeners;
    this.listeners = [];
    for (const l of ls) l(r);
  }

  /** Wait for the result; after `timeoutUs` (host-local, null = forever) throw `onTimeout()`. */
  *wait(host: Host, timeoutUs: number | null, onTimeout: () => Error): Task<T> {
    const r0 = this.result;
    if (r0 !== null) {
      if (r0.ok) return r0.value;
      throw r0.error;
    }
    let timer: Timer | null = null;
    let done = false;
    // yielded directly (not through suspend()): one generator less per wait
    const r = (yield {
      start: (resume) => {
        if (timeoutUs !== null) {
          timer = host.sim.schedule(host.clock.trueDelayFor(timeoutUs), () => {
            if (done) return;
            done = true;
            resume.ok({ ok: false, error: onTimeout() });
          });
        }
        this.listeners.push((res) => {
          if (done) return;
          done = true;
          timer?.cancel();
          resume.ok(res);
        });
      },
      abort: () => {
        done = true;
        timer?.cancel();
      },
    } satisfies Suspend) as { ok: true; value: T } | { ok: false; error: unknown };
    if (r.ok) return r.value;
    throw r.error;
  }
}
