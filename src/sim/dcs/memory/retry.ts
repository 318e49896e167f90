// Patroni's `Retry` (patroni/utils.py) as the stores' client libraries use it: call, and on a
// transient failure sleep `delay + jitter` (0.1 s doubling up to max_delay = 1 s, jitter up to
// 0.8 s) and call again, until the deadline (`retry_timeout`, measured on the wall clock as
// `time.time()` is) would pass during the next sleep; then give up with a DCSError. A failed
// condition (a compare-and-set that did not match) is not a failure: it returns normally.
import type { Process } from '../../host/process.js';
import type { Rng } from '../../kernel/rng.js';
import type { Task } from '../../kernel/task.js';
import { NetError } from '../../net/network.js';
import { DCSError } from '../abstract.js';
import { StoreUnavailable } from './errors.js';

export interface RetrySpec {
  /** `retry_timeout`: the whole operation's deadline. */
  deadlineMs: number;
  /** Per-request client timeout (socket / statement / SDK timeout); capped by what is left. */
  requestTimeoutMs: number;
}

/** `Retry(deadline=retry_timeout, max_delay=1, max_tries=-1)` as `AbstractEtcd` builds it. */
const INITIAL_DELAY_US = 100_000;
const MAX_DELAY_US = 1_000_000;
const MAX_JITTER_STEPS = 80; // randint(0, 80) / 100 s

function isTransient(e: unknown): e is Error {
  return e instanceof NetError || e instanceof StoreUnavailable;
}

/**
 * Run `attempt(timeoutUs)` under Patroni's retry policy. Throws DCSError once the deadline is
 * exhausted; any error other than a transient one propagates at once.
 */
export function* withRetry<T>(proc: Process, rng: Rng, what: string, spec: RetrySpec, attempt: (timeoutUs: number) => Task<T>): Task<T> {
  const stopWallUs = proc.wallUs() + spec.deadlineMs * 1000;
  let delayUs = INITIAL_DELAY_US;
  for (;;) {
    const remainingUs = stopWallUs - proc.wallUs();
    const timeoutUs = Math.max(1000, Math.min(spec.requestTimeoutMs * 1000, remainingUs));
    try {
      return yield* attempt(timeoutUs);
    } catch (e) {
      if (!isTransient(e)) throw e;
      const sleepUs = delayUs + rng.int(0, MAX_JITTER_STEPS) * 10_000;
      if (proc.wallUs() + sleepUs >= stopWallUs) {
        throw new DCSError(`${what}: ${e.message} (gave up after retry_timeout=${spec.deadlineMs / 1000}s)`);
      }
      yield* proc.sleep(sleepUs);
      delayUs = Math.min(delayUs * 2, MAX_DELAY_US);
    }
  }
}
