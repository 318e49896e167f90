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
import { Retry, RetryFailedError } from '../raft/retry.js';
import { StoreUnavailable } from './errors.js';

export interface RetrySpec {
  /** `retry_timeout`: the whole operation's deadline. */
  deadlineMs: number;
  /** Per-request client timeout (socket / statement / SDK timeout); capped by what is left. */
  requestTimeoutMs: number;
}

function isTransient(e: unknown): e is Error {
  return e instanceof NetError || e instanceof StoreUnavailable;
}

/**
 * Run `attempt(timeoutUs)` under `Retry(deadline=retry_timeout, max_delay=1, max_tries=-1)`, as
 * `AbstractEtcd` builds it (the one port of patroni/utils.py Retry: ../raft/retry.ts). Each attempt
 * gets the per-request timeout, capped by what is left of the deadline. Throws DCSError once the
 * deadline is exhausted; any error other than a transient one propagates at once.
 */
export function* withRetry<T>(proc: Process, rng: Rng, what: string, spec: RetrySpec, attempt: (timeoutUs: number) => Task<T>): Task<T> {
  const retry = new Retry(proc, rng, { deadlineS: spec.deadlineMs / 1000, maxDelayS: 1, maxTries: -1, retryOn: isTransient });
  let last = null as Error | null;
  try {
    return yield* retry.run(function* () {
      const remainingUs = retry.stoptimeUs - proc.wallUs();
      try {
        return yield* attempt(Math.max(1000, Math.min(spec.requestTimeoutMs * 1000, remainingUs)));
      } catch (e) {
        if (isTransient(e)) last = e;
        throw e;
      }
    });
  } catch (e) {
    if (!(e instanceof RetryFailedError)) throw e;
    throw new DCSError(`${what}: ${last?.message ?? e.message} (gave up after retry_timeout=${spec.deadlineMs / 1000}s)`);
  }
}
