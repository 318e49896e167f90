// How a DCS backend is deployed into a world: its server processes on their hosts, and the client
// library each Patroni node links (an `AbstractDCS`). Every backend directory exports one
// `DcsBackendDefinition`; `registry.ts` lists them.
import type { Host } from '../host/host.js';
import type { Process } from '../host/process.js';
import type { DcsBackendKind } from '../history/records.js';
import type { World } from '../world.js';
import type { AbstractDCS, DcsTiming } from './abstract.js';

export interface DcsMemberSpec {
  /** Member name, e.g. "etcd1". */
  name: string;
  /** Host it runs on (already added to the world). */
  host: string;
}

export interface DcsDeploySpec {
  /** Patroni `scope` (cluster name); keys live under /<namespace>/<scope>/. */
  scope: string;
  namespace: string;
  /** Server members (etcd / ZooKeeper / Consul servers, API servers, Redis nodes...). */
  members: DcsMemberSpec[];
  /** Backend-specific knobs from the scenario (validated by the backend). */
  options: Record<string, unknown>;
  /** A label for traces ("etcd", "dc2-etcd" when several stores exist). */
  store: string;
}

export interface DcsClientOptions {
  /** Hosts this client may talk to, in the order Patroni's config lists them (default: all members). */
  endpoints?: string[];
}

export interface DcsDeployment {
  readonly kind: DcsBackendKind;
  readonly store: string;
  /** Every server process (for faults: "the DCS is down" pauses or kills these). */
  readonly servers: readonly Process[];
  /** Start the servers (called once at the beginning of the run). */
  start(): void;
  /** The client library for one Patroni node, running in `proc`. */
  client(proc: Process, memberName: string, timing: DcsTiming, opts?: DcsClientOptions): AbstractDCS;
  /** Ground truth for tests and detectors: who holds the leader key in the store's authority now. */
  leaderHolder(scope: string): string | null;
}

export interface DcsBackendDefinition {
  readonly kind: DcsBackendKind;
  /** One line for `haywire list` and docs: what the store guarantees. */
  readonly summary: string;
  /** Minimum and default number of server members. */
  readonly defaultMembers: number;
  deploy(world: World, spec: DcsDeploySpec): DcsDeployment;
}

/**
 * Place one server process per member on its host, as a systemd unit: it starts again whenever
 * its host boots. Returns them in member order.
 */
export function placeServers<M extends Process>(world: World, members: readonly DcsMemberSpec[], make: (host: Host, name: string, index: number) => M): M[] {
  return members.map((ms, i) => {
    const host = world.net.host(ms.host);
    const m = make(host, ms.name, i);
    host.onBoot(() => m.start('started at boot'));
    return m;
  });
}
