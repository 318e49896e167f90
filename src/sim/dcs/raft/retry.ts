// Patroni's `patroni/utils.py Retry`, shared by the quorum-store clients: call a function until it
// succeeds, raises a non-retriable error, or the deadline (measured on the Patroni host's *wall*
// clock, `time.time()`) would be passed by the next sleep. Sleep = current delay + jitter in
// [0, max_jitter], delay doubling up to max_delay.
import type { Process } from '../../host/process.js';
import type { Rng } from '../../kernel/rng.js';
import type { Task } from '../../kernel/task.js';

export class RetryFailedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RetryFailedError';
  }
}

export interface RetryOptions {
  deadlineS: number | null;
  maxDelayS?: number;
  delayS?: number;
  backoff?: number;
  maxJitterS?: number;
  maxTries?: number;
  /** `retry_exceptions`: which errors are retried. */
  retryOn: (e: unknown) => boolean;
}

export class Retry {
  private attempts = 0;
  private curDelayS: number;
  private curStopUs: number | null = null;
  deadlineS: number | null;

  constructor(
    private readonly proc: Process,
    private readonly rng: Rng,
    private readonly opts: RetryOptions,
  ) {
    this.deadlineS = opts.deadlineS;
    this.curDelayS = opts.delayS ?? 0.1;
  }

  copy(): Retry {
    return new Retry(this.proc, this.rng, { ...this.opts, deadlineS: this.deadlineS });
  }

  reset(): void {
    this.attempts = 0;
    this.curDelayS = this.opts.delayS ?? 0.1;
    this.curStopUs = null;
  }

  /** `Retry.sleeptime`: current delay plus up to max_jitter (in hundredths, as randint(0, n)/100). */
  get sleeptimeS(): number {
    const j = Math.round((this.opts.maxJitterS ?? 0.8) * 100);
    return this.curDelayS + this.rng.int(0, j) / 100;
  }

  updateDelay(): void {
    this.curDelayS = Math.min(this.curDelayS * (this.opts.backoff ?? 2), this.opts.maxDelayS ?? 3600);
  }

  /** Stop time on the wall clock in µs (0 if not started). */
  get stoptimeUs(): number {
    return this.curStopUs ?? 0;
  }

  /** Start the deadline clock if not started (Retry.__call__ does it on the first call). */
  begin(): void {
    if (this.deadlineS !== null && this.curStopUs === null) this.curStopUs = this.proc.wallUs() + this.deadlineS * 1e6;
  }

  /** `Retry.ensure_deadline`: false (or throw `raise`) if less than `timeoutS` is left. */
  ensureDeadline(timeoutS: number, raise?: Error): boolean {
    if (this.stoptimeUs - this.proc.wallUs() < timeoutS * 1e6) {
      if (raise) throw raise;
      return false;
    }
    return true;
  }

  /** `Retry.__call__` */
  *run<T>(fn: () => Task<T>): Task<T> {
    this.reset();
    for (;;) {
      try {
        this.begin();
        return yield* fn();
      } catch (e) {
        if (!this.opts.retryOn(e)) throw e;
        const maxTries = this.opts.maxTries ?? 1;
        if (this.attempts === maxTries) throw new RetryFailedError('Too many retry attempts');
        this.attempts++;
        const sleepS = this.sleeptimeS;
        if (this.curStopUs !== null && this.proc.wallUs() + sleepS * 1e6 >= this.curStopUs) throw new RetryFailedError('Exceeded retry deadline');
        yield* this.proc.sleep(sleepS * 1e6);
        this.updateDelay();
      }
    }
  }
}
