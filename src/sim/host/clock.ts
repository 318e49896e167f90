// A host's clocks. Two readings, as on a real Linux machine:
//  - monotonic (CLOCK_MONOTONIC): advances at the host's rate (1 + drift ppm); steps do not move it.
//    Sleeps and timeouts use it.
//  - wall (CLOCK_REALTIME): monotonic plus an offset; steps (NTP jumps, a VM restored from a
//    snapshot, an operator's `date -s`) move it. TTLs judged from timestamps read it.
// The kernel orders events by true time; a host's clocks are a view of true time.
import type { Micros } from '../kernel/time.js';

export class HostClock {
  private anchorTrueUs = 0;
  private anchorMonoUs = 0;
  private rate = 1;
  private _offsetUs: Micros;
  private _driftPpm = 0;

  constructor(offsetUs: Micros = 0, driftPpm = 0) {
    this._offsetUs = offsetUs;
    this.setDrift(0, driftPpm);
  }

  get offsetUs(): Micros {
    return this._offsetUs;
  }

  get driftPpm(): number {
    return this._driftPpm;
  }

  /** Monotonic reading at true time `trueUs` (microseconds, fractional allowed). */
  monoUs(trueUs: Micros): number {
    return this.anchorMonoUs + (trueUs - this.anchorTrueUs) * this.rate;
  }

  /** Wall-clock reading at true time `trueUs`: microseconds since the run's epoch as this host sees it. */
  wallUs(trueUs: Micros): number {
    return this.monoUs(trueUs) + this._offsetUs;
  }

  /** True duration of a local (monotonic) duration. */
  trueDelayFor(localUs: Micros): Micros {
    return localUs / this.rate;
  }

  /** Change the drift from true time `trueUs` on. Timers already set keep their true deadline. */
  setDrift(trueUs: Micros, ppm: number): void {
    this.anchorMonoUs = this.monoUs(trueUs);
    this.anchorTrueUs = trueUs;
    this._driftPpm = ppm;
    this.rate = 1 + ppm / 1_000_000;
  }

  /** Step the wall clock by `deltaUs` (positive: forward). Monotonic time is unaffected. */
  step(deltaUs: Micros): void {
    this._offsetUs += deltaUs;
  }
}
