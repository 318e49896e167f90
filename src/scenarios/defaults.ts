// haywire's defaults for everything a scenario may leave out (Patroni's own defaults are in
// schema/patroni.ts PATRONI_DEFAULTS and are applied by the agent, as Patroni applies them).
// docs/scenario-format.md lists the same values; a test keeps them in step.
import type { Micros } from '../sim/kernel/time.js';
import { DEFAULT_TIMINGS } from '../sim/pg/config.js';

const S = 1_000_000;
const MS = 1_000;

export const DEFAULTS = {
  seed: '1',
  host: {
    /** A datacentre SSD (src/sim/host/disk.ts). */
    fsyncUs: 500 as Micros,
    /** src/sim/host/host.ts. */
    bootUs: (30 * S) as Micros,
    watchdogDevice: false,
    /** Hosts the loader creates sit in one datacentre, each in its own rack. */
    region: 'region1',
    datacenter: 'dc1',
    room: 'room1',
  },
  phases: { warmupUs: 30 * S, chaosUs: 120 * S, convergeUs: 60 * S, heal: 'all' as const },
  cluster: { scope: 'main', namespace: '/service/', nodes: 3 },
  watchdog: { mode: 'automatic' as const, device: '/dev/watchdog', safety_margin: 5 },
  postgresql: {
    version: 16,
    /** The PostgreSQL model's defaults (src/sim/pg/config.ts DEFAULT_TIMINGS). */
    dataSizeBytes: DEFAULT_TIMINGS.initdbDataBytes,
    synchronousCommit: 'on' as const,
    replayBytesPerSec: DEFAULT_TIMINGS.replayBytesPerSec,
  },
  workload: {
    writers: 1,
    writesPerSec: 10,
    arrivals: 'fixed' as const,
    writeSizeBytes: DEFAULT_TIMINGS.defaultWriteBytes,
    readers: 0,
    readsPerSec: 10,
    readFrom: 'primary' as const,
    client: 'app1',
    timeoutUs: 5 * S,
    retry: { attempts: 0, backoffUs: 500 * MS, multiplier: 2, retryUnknown: true },
  },
  /** Patroni's example haproxy.cfg: inter 3s fall 3 rise 2 on-marked-down shutdown-sessions, timeout check 5s. */
  haproxy: { intervalUs: 3 * S, fall: 3, rise: 2, timeoutUs: 5 * S, shutdownSessions: true },
  libpq: { targetSessionAttrs: 'read-write' as const },
  /** vip-manager: interval 1000 ms; configuring the address and gratuitous ARP take about 100 ms. */
  vip: { intervalUs: 1 * S, delayUs: 100 * MS },
} as const;
