// Latency and bandwidth of links. Every pair of hosts gets a base one-way latency drawn once from
// the range of its distance class (a physical property of the path: the same for the whole run),
// and every message adds jitter on top. Overrides name pairs of domains or hosts.
import { derivedRng } from '../kernel/rng.js';
import type { Distance } from './domains.js';

export interface LatencyClass {
  /** Round-trip time range in milliseconds; a pair's base RTT is drawn uniformly from it. */
  rttMs: readonly [number, number];
  /** Per-message jitter as a fraction of the base latency (mean of an exponential). */
  jitter: number;
  /** Link bandwidth in bytes per second (serialisation delay for large messages). */
  bandwidthBytesPerSec: number;
}

/** Defaults by distance: same rack 0.1 ms RTT, same DC 0.3–1 ms, cross-DC 2–40 ms, cross-continent 80–300 ms. */
export const DEFAULT_LATENCY: Readonly<Record<Distance, LatencyClass>> = {
  local: { rttMs: [0.02, 0.05], jitter: 0.1, bandwidthBytesPerSec: 5e9 },
  rack: { rttMs: [0.08, 0.12], jitter: 0.1, bandwidthBytesPerSec: 1.25e9 },
  room: { rttMs: [0.15, 0.3], jitter: 0.1, bandwidthBytesPerSec: 1.25e9 },
  dc: { rttMs: [0.3, 1], jitter: 0.1, bandwidthBytesPerSec: 1.25e9 },
  region: { rttMs: [2, 40], jitter: 0.05, bandwidthBytesPerSec: 1.25e8 },
  world: { rttMs: [80, 300], jitter: 0.05, bandwidthBytesPerSec: 1.25e8 },
};

/** A latency override between two sets of hosts (each named by host or domain names). */
export interface LatencyOverride {
  between: readonly [string, string];
  rttMs: number | readonly [number, number];
  jitter?: number;
  bandwidthBytesPerSec?: number;
}

export interface LinkProfile {
  /** Base one-way latency in microseconds. */
  baseUs: number;
  jitter: number;
  bandwidthBytesPerSec: number;
}

/** Deterministic base latency for a pair: drawn from (seed, sorted pair names), symmetric. */
export function drawLinkProfile(seed: string, a: string, b: string, cls: LatencyClass, rttMs: number | readonly [number, number]): LinkProfile {
  const [x, y] = a < b ? [a, b] : [b, a];
  const [lo, hi] = typeof rttMs === 'number' ? [rttMs, rttMs] : rttMs;
  const rtt = lo === hi ? lo : derivedRng(seed, `link-base:${x}|${y}`).uniform(lo, hi);
  return { baseUs: (rtt * 1000) / 2, jitter: cls.jitter, bandwidthBytesPerSec: cls.bandwidthBytesPerSec };
}
