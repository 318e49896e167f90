// A validated, resolved scenario: every default filled in, every host placed, every time in
// microseconds, every reference checked. Plain data (no classes, no functions), so it can be
// sent to a worker thread or written back out. `build.ts` maps it onto the simulator.
import type { Micros } from '../sim/kernel/time.js';
import type { DcsBackendKind } from '../sim/history/records.js';
import type { Distance } from '../sim/net/domains.js';
import type { Diagnostic, Path } from './errors.js';
import type { FaultActionInput } from './schema/faults.js';

export interface HostDecl {
  name: string;
  /** Failure-domain path, outermost first (region, datacenter, room, rack). */
  domains: string[];
  clockOffsetUs: Micros;
  clockDriftPpm: number;
  fsyncUs: Micros;
  bootUs: Micros;
  /** A watchdog device Patroni can open exists on this host. */
  watchdogDevice: boolean;
  /** Created by the scenario loader (not declared under topology.hosts). */
  auto: boolean;
}

export interface LatencyClassDecl {
  rttMs?: number | [number, number];
  jitter?: number;
  bandwidthBytesPerSec?: number;
}

export interface LatencyOverrideDecl {
  between: [string, string];
  rttMs: number | [number, number];
  jitter?: number;
  bandwidthBytesPerSec?: number;
}

export interface LatencyDecl {
  classes: Partial<Record<Distance, LatencyClassDecl>>;
  overrides: LatencyOverrideDecl[];
}

export interface DcsMemberDecl {
  name: string;
  host: string;
}

export interface StoreDecl {
  /** Label in traces ("etcd", or the `name` given). */
  name: string;
  backend: DcsBackendKind;
  members: DcsMemberDecl[];
  options: Record<string, unknown>;
}

export interface WatchdogDecl {
  mode: 'off' | 'automatic' | 'required';
  device: string;
  safety_margin: number;
}

export interface NodeDecl {
  /** Node name == host name (the trace convention of src/sim/history/records.ts). */
  name: string;
  /** Patroni tags, as in patroni.yml (nofailover, failover_priority, nosync, ...). */
  tags: Record<string, boolean | number | string>;
  watchdog: WatchdogDecl;
  /** DCS members this node's client lists, in order (undefined: all). */
  dcsEndpoints?: string[];
  /** Patroni starts this long after the run begins (undefined: at once). */
  startAtUs?: Micros;
}

export interface PostgresqlDecl {
  version: number;
  dataSizeBytes: number;
  synchronousCommit: 'off' | 'local' | 'remote_write' | 'on' | 'remote_apply';
  /** Disk fsync latency of database hosts that do not set their own. */
  fsyncUs: Micros;
  replayBytesPerSec: number;
  /** null: only the link limits the WAL stream. */
  walBandwidthBytesPerSec: number | null;
}

export interface ClusterDecl {
  /** Patroni `scope`. */
  name: string;
  namespace: string;
  /** Name of the store (`StoreDecl.name`). */
  store: string;
  /**
   * Patroni's dynamic configuration as the user wrote it (what `bootstrap.dcs` writes to /config):
   * Patroni's key names and units (seconds, bytes), unit strings converted, booleans parsed,
   * legacy names renamed. Defaults are not filled in: the agent applies Patroni's.
   */
  dynamic: Record<string, unknown>;
  nodes: NodeDecl[];
  postgresql: PostgresqlDecl;
}

export type RouterDecl =
  | { kind: 'haproxy'; host: string | null; intervalUs: Micros; fall: number; rise: number; timeoutUs: Micros; shutdownSessions: boolean }
  | {
      kind: 'libpq';
      hosts: string[];
      targetSessionAttrs: 'read-write' | 'primary' | 'any' | 'standby' | 'prefer-standby';
      connectTimeoutUs: Micros | null;
    }
  | { kind: 'vip'; intervalUs: Micros; delayUs: Micros };

export interface RetryDecl {
  attempts: number;
  backoffUs: Micros;
  multiplier: number;
  retryUnknown: boolean;
}

export interface WorkloadDecl {
  cluster: string;
  writers: number;
  writesPerSec: number;
  arrivals: 'fixed' | 'poisson';
  writeSizeBytes: number;
  readers: number;
  readsPerSec: number;
  readFrom: 'primary' | 'replica' | 'any';
  /** Client hosts; writers then readers are placed on them round-robin. */
  clients: string[];
  startUs: Micros;
  timeoutUs: Micros;
  router: RouterDecl;
  retry: RetryDecl;
}

/** A fault action as the scenario states it (units converted to µs; targets by name). */
export type ScenarioAction = FaultActionInput;

export interface FaultDecl {
  id: string;
  atUs: Micros;
  durationUs?: Micros;
  note?: string;
  /** For operator and node actions: the cluster it addresses (resolved when not given). */
  cluster?: string;
  action: ScenarioAction;
  /** Where it is in the file (`faults[i]`), for build-time errors. */
  path: Path;
}

export interface PhasesDecl {
  warmupUs: Micros;
  chaosUs: Micros;
  convergeUs: Micros;
  heal: 'all' | 'none';
  /** Chaos starts at warmupUs and ends here; then the heal happens. */
  chaosEndUs: Micros;
  /** The run ends here. */
  endUs: Micros;
}

/**
 * The `expect` block as `src/report/expectations.ts evaluateExpectations` reads it: expectation
 * name → the value as written ("<= 45000", 0, "none", ...). An `incidents:` list is already
 * replaced by the count expectations it stands for.
 */
export type ExpectDecl = Record<string, unknown>;

export interface Scenario {
  /** The file it was read from, as given (for reports and replay commands). */
  file: string;
  name: string;
  description: string;
  covers: string[];
  /** What this scenario asks for that haywire does not model (the build refuses it: exit 3). */
  unsupported: Diagnostic[];
  seed: string;
  hosts: HostDecl[];
  latency: LatencyDecl;
  stores: StoreDecl[];
  clusters: ClusterDecl[];
  workloads: WorkloadDecl[];
  faults: FaultDecl[];
  phases: PhasesDecl;
  expect: ExpectDecl;
}
