// The `topology` section: hosts in failure domains (region > datacenter > room > rack), their
// clocks and disks, and link latency by distance class or per pair of domains.
// Maps onto `src/sim/host/host.ts HostSpec` and `src/sim/net/network.ts NetworkOptions`.
import { z } from 'zod';
import { DISTANCES } from '../../sim/net/domains.js';
import { describeValue, parseDuration, type Parsed } from '../units.js';
import { bandwidth, boolish, domainPath, duration, leaf, num, signedDuration } from './common.js';

/** Clock drift in ppm: a number or "20ppm" (positive: the host's clock runs fast). */
const ppm = () =>
  leaf<number>((v) => {
    if (typeof v === 'number' && Number.isFinite(v)) return { ok: true, value: v };
    const m = typeof v === 'string' ? /^\s*(-?\d+(?:\.\d+)?)\s*ppm\s*$/i.exec(v) : null;
    if (m) return { ok: true, value: Number(m[1]) };
    return { ok: false, error: `expected a drift in ppm (20 or "20ppm"), got ${describeValue(v)}` };
  });

/** A round-trip time or a range of them, in ms (the network draws a pair's RTT from the range). */
const rtt = () =>
  leaf<number | [number, number]>((v): Parsed<number | [number, number]> => {
    const one = (x: unknown): Parsed<number> => {
      const r = parseDuration(x);
      return r.ok ? { ok: true, value: r.value / 1000 } : r;
    };
    if (Array.isArray(v)) {
      if (v.length !== 2) return { ok: false, error: 'an RTT range is [low, high], e.g. [2ms, 40ms]' };
      const lo = one(v[0]);
      const hi = one(v[1]);
      if (!lo.ok) return lo;
      if (!hi.ok) return hi;
      if (lo.value > hi.value) return { ok: false, error: `RTT range [${String(v[0])}, ${String(v[1])}] is backwards` };
      return { ok: true, value: [lo.value, hi.value] };
    }
    return one(v);
  });

export const ClockSchema = z.strictObject({
  /** Wall-clock offset from true time at the start ("-250ms", "2s"). */
  offset: signedDuration().optional(),
  /** Drift in ppm. */
  drift: ppm().optional(),
});

export const DiskSchema = z.strictObject({
  /** Median fsync latency (default 500us, a datacentre SSD). */
  fsync: duration().optional(),
});

export const HostSchema = z.strictObject({
  domains: domainPath(),
  clock: ClockSchema.optional(),
  disk: DiskSchema.optional(),
  /** Time from power-on to boot-time services (default 30s). */
  boot: duration().optional(),
  /** Whether the host has a watchdog device (softdog, a hardware watchdog) Patroni can open. Default false. */
  watchdogDevice: boolish().optional(),
});

/** `pg1: eu/dc1/room1/rack1` is short for `pg1: { domains: eu/dc1/room1/rack1 }`. */
const HostEntrySchema = z.preprocess((v) => (typeof v === 'string' || Array.isArray(v) ? { domains: v } : v), HostSchema);

export const LatencyClassSchema = z.strictObject({
  rtt: rtt().optional(),
  jitter: num(0, 10).optional(),
  bandwidth: bandwidth().optional(),
});

export const LatencyOverrideSchema = z.strictObject({
  /** Two host or domain names: the override applies to every link between them. */
  between: z.tuple([z.string(), z.string()]),
  rtt: rtt(),
  jitter: num(0, 10).optional(),
  bandwidth: bandwidth().optional(),
});

const classesShape = Object.fromEntries(DISTANCES.map((d) => [d, LatencyClassSchema.optional()])) as Record<
  (typeof DISTANCES)[number],
  z.ZodOptional<typeof LatencyClassSchema>
>;

export const LatencySchema = z.strictObject({
  /** Override the defaults of a distance class: local, rack, room, dc, region, world. */
  classes: z.strictObject(classesShape).optional(),
  overrides: z.array(LatencyOverrideSchema).optional(),
});

export const TopologySchema = z.strictObject({
  hosts: z.record(z.string(), HostEntrySchema).optional(),
  latency: LatencySchema.optional(),
});

export type TopologyInput = z.output<typeof TopologySchema>;
export type HostInput = z.output<typeof HostSchema>;
