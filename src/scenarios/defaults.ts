// haywire's defaults for everything a scenario may leave out (Patroni's own defaults are in
// schema/patroni.ts PATRONI_DEFAULTS and are applied by the agent, as Patroni applies them).
// docs/scenario-format.md lists the same values; a test keeps them in step.
import type { Micros } from '../sim/kernel/time.js';

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
    dataSizeBytes: 1024 ** 3,
    synchronousCommit: 'on' as const,
    replayBytesPerSec: 100 * 1024 ** 2,
  },
  workload: {
    writers: 1,
    writesPerSec: 10,
    writeSizeBytes: 1024,
    readers: 0,
    readsPerSec: 10,
    readFrom: 'primary' as const,
    client: 'app1',
    timeoutUs: 5 * S,
    retry: { attempts: 0, backoffUs: 500 * MS, maxBackoffUs: 10 * S },
  },
  haproxy: { intervalUs: 3 * S, fall: 3, rise: 2, shutdownSessions: true },
  libpq: { targetSessionAttrs: 'read-write' as const },
  vip: { intervalUs: 1 * S, delayUs: 0 },
} as const;
