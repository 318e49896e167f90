// Named random streams. Every stream is derived from (run seed, stream name) alone, so adding a
// stream, a node or a message on one link never changes the draws of another. The same seed
// therefore gives common random numbers across configurations: two clusters run under one seed
// see the same latencies on the same links and the same generated faults.
import seedrandom from 'seedrandom';

export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number;
  /** Integer uniform in [lo, hi] (inclusive). */
  int(lo: number, hi: number): number;
  /** True with probability p. */
  chance(p: number): boolean;
  /** Exponential with the given mean. */
  exponential(mean: number): number;
  /** Normal(mean, sd) by Box–Muller (one draw of two uniforms each call, for simplicity of replay). */
  normal(mean: number, sd: number): number;
  /** Log-normal whose median is `median` and whose log has standard deviation `sigma`. */
  logNormal(median: number, sigma: number): number;
  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T;
}

class AleaRng implements Rng {
  private readonly prng: () => number;

  constructor(seed: string) {
    this.prng = seedrandom.alea(seed);
  }

  next(): number {
    return this.prng();
  }

  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.prng();
  }

  int(lo: number, hi: number): number {
    return lo + Math.floor(this.prng() * (hi - lo + 1));
  }

  chance(p: number): boolean {
    if (p <= 0) return false;
    if (p >= 1) return true;
    return this.prng() < p;
  }

  exponential(mean: number): number {
    return -mean * Math.log(1 - this.prng());
  }

  normal(mean: number, sd: number): number {
    const u1 = 1 - this.prng();
    const u2 = this.prng();
    return mean + sd * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  logNormal(median: number, sigma: number): number {
    return median * Math.exp(this.normal(0, sigma));
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty array');
    return items[Math.floor(this.prng() * items.length)] as T;
  }
}

/** Derives independent named streams from one run seed. Streams are created once and cached. */
export class RngRegistry {
  private readonly streams = new Map<string, Rng>();

  constructor(readonly seed: string) {}

  stream(name: string): Rng {
    let s = this.streams.get(name);
    if (!s) {
      s = new AleaRng(`haywire:${this.seed}:${name}`);
      this.streams.set(name, s);
    }
    return s;
  }
}

/** A fresh stream that is not cached (for one-off derived draws, e.g. per link base latency). */
export function derivedRng(seed: string, name: string): Rng {
  return new AleaRng(`haywire:${seed}:${name}`);
}
