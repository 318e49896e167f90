// The fault space of a scenario: what generated faults may name (its hosts, failure domains,
// processes, nodes, stores and roles) and when (its chaos window). Read from the resolved scenario
// and from a dry build of its world (which processes each host really runs), so a generated fault
// never names something the scenario does not have.
import { buildScenario } from '../scenarios/build.js';
import type { Loaded } from '../scenarios/load.js';
import { timingOf, validateAndAdjustTimeouts, cloneConfig, type DynamicConfig } from '../sim/patroni/config.js';

export interface FaultSpaceCluster {
  name: string;
  nodes: string[];
  /** A standby cluster (it replicates from another cluster): promote-cluster applies to it. */
  standby: boolean;
}

export interface FaultSpace {
  /** The chaos window in ms of true time: faults start in [chaosStartMs, chaosEndMs). */
  chaosStartMs: number;
  chaosEndMs: number;
  endMs: number;
  /** Database node hosts (every cluster, in scenario order). */
  nodes: string[];
  /** Hosts running a DCS server (every store). */
  dcsHosts: string[];
  /** Hosts running clients and routers. */
  clientHosts: string[];
  /** Every host of the world. */
  hosts: string[];
  /**
   * Failure domains worth naming (dc2, a region): each selects a set of hosts that no single host
   * name or narrower domain already selects, and not every host.
   */
  domains: string[];
  /** Hosts of each domain (for judging which hosts a fault touches). */
  domainHosts: Record<string, string[]>;
  /** DCS server processes as "host/process". */
  dcsProcesses: string[];
  /** Process names every database node runs that a fault may crash or pause (patroni, postgres). */
  nodeProcesses: string[];
  clusters: FaultSpaceCluster[];
  stores: string[];
  /** synchronous_mode is on (or quorum) in the first cluster: @sync names someone. */
  synchronous: boolean;
  /** Effective Patroni timing of the first cluster, in seconds. */
  ttlS: number;
  loopWaitS: number;
  retryTimeoutS: number;
  /** Nemesis kinds the scenario's world registers (model kinds such as patroni-stop included). */
  nemesisKinds: string[];
}

/** Node processes a generated fault may target, in order of simplicity. */
const NODE_PROCESSES = ['patroni', 'postgres'] as const;

export function faultSpaceOf(loaded: Loaded): FaultSpace {
  const s = loaded.scenario;
  const built = buildScenario(s, { trace: {} });
  const world = built.world;
  const nodes = s.clusters.flatMap((c) => c.nodes.map((n) => n.name));
  const dcsProcesses: string[] = [];
  const dcsHosts: string[] = [];
  for (const c of built.clusters.values()) {
    for (const p of c.dcs.servers) {
      const q = `${p.host.name}/${p.name}`;
      if (!dcsProcesses.includes(q)) dcsProcesses.push(q);
      if (!dcsHosts.includes(p.host.name)) dcsHosts.push(p.host.name);
    }
  }
  const clientHosts = [...new Set(s.workloads.flatMap((w) => w.clients))].filter((h) => !nodes.includes(h));
  const hosts = world.net.hosts.map((h) => h.name);
  const first = s.clusters[0];
  const nodeProcesses = NODE_PROCESSES.filter((p) => nodes.every((n) => world.net.host(n).process(p) !== undefined));

  // failure domains: every path segment, by the set of hosts it selects
  const domainHosts: Record<string, string[]> = {};
  for (const h of s.hosts) for (const d of h.domains) (domainHosts[d] ??= []).push(h.name);
  const seen = new Set<string>(hosts.map((h) => h));
  const bySet = new Map<string, string>();
  const domains: string[] = [];
  // outermost first (regions before datacentres), so the simplest name of a set wins
  const depth = (d: string): number => Math.min(...s.hosts.filter((h) => h.domains.includes(d)).map((h) => h.domains.indexOf(d)));
  for (const d of Object.keys(domainHosts).sort((a, b) => depth(a) - depth(b) || a.localeCompare(b))) {
    const set = [...new Set(domainHosts[d])].sort();
    domainHosts[d] = set;
    if (set.length === hosts.length) continue;
    const key = set.join(',');
    if (set.length === 1 && seen.has(set[0] as string)) continue;
    if (bySet.has(key)) continue;
    bySet.set(key, d);
    domains.push(d);
  }

  const dyn = cloneConfig((first?.dynamic ?? {}) as DynamicConfig);
  validateAndAdjustTimeouts(dyn);
  const timing = timingOf(dyn);
  const syncMode = String(dyn.synchronous_mode ?? false).toLowerCase();
  return {
    chaosStartMs: s.phases.warmupUs / 1000,
    chaosEndMs: s.phases.chaosEndUs / 1000,
    endMs: s.phases.endUs / 1000,
    nodes,
    dcsHosts,
    clientHosts,
    hosts,
    domains,
    domainHosts,
    dcsProcesses,
    nodeProcesses,
    clusters: s.clusters.map((c) => ({ name: c.name, nodes: c.nodes.map((n) => n.name), standby: c.dynamic.standby_cluster !== undefined })),
    stores: s.stores.map((x) => x.name),
    synchronous: ['true', 'on', 'yes', '1', 'quorum'].includes(syncMode),
    ttlS: timing.ttl,
    loopWaitS: timing.loop_wait,
    retryTimeoutS: timing.retry_timeout,
    nemesisKinds: world.nemesis.kinds,
  };
}

/** The hosts a selector entry names (a host, a domain; roles name nodes only known at run time: null). */
export function hostsOfName(space: FaultSpace, name: string): string[] | null {
  if (name.startsWith('@')) return null;
  if (space.hosts.includes(name)) return [name];
  return space.domainHosts[name] ?? [];
}
