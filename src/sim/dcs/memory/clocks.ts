// Converting between a host's clock readings and true time, for the ground-truth side of lock
// records: "the holder may believe it holds the lock until its wall clock reads X" becomes a true
// time the grant checker can compare across hosts.
import type { Host } from '../../host/host.js';
import type { Micros } from '../../kernel/time.js';

/**
 * The true time at which `host`'s wall clock will read `wallUs`, assuming its offset and drift stay
 * as they are now (a later step or drift change moves it; callers that care re-check).
 */
export function trueTimeAtWall(host: Host, nowTrueUs: Micros, wallUs: number): Micros {
  const wallNow = host.clock.wallUs(nowTrueUs);
  return Math.round(nowTrueUs + host.clock.trueDelayFor(wallUs - wallNow));
}

/** The true time at which `host`'s monotonic clock will read `monoUs` (drift only: steps do not move it). */
export function trueTimeAtMono(host: Host, nowTrueUs: Micros, monoUs: number): Micros {
  const monoNow = host.clock.monoUs(nowTrueUs);
  return Math.round(nowTrueUs + host.clock.trueDelayFor(monoUs - monoNow));
}
