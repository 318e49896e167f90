// A resolved scenario → a world ready to run: hosts and links, each cluster through
// `buildCluster` (src/sim/cluster), the clients and their routers (src/sim/client), the fault
// timeline on the nemesis, and the phases. Build-time problems (a backend that is not available,
// a process no host runs, a fault kind no model registered) are positioned diagnostics like any
// other bad input.
import { buildCluster, type BuiltCluster } from '../sim/cluster/build.js';
import type { ClusterSpec, DcsSpec, NodeSpec } from '../sim/cluster/spec.js';
import type { DcsBackendDefinition } from '../sim/dcs/backend.js';
import { backendFor } from '../sim/dcs/registry.js';
import type { FaultAction } from '../sim/faults/nemesis.js';
import type { DcsBackendKind } from '../sim/history/records.js';
import type { TraceOptions } from '../sim/kernel/trace.js';
import type { Micros } from '../sim/kernel/time.js';
import type { NetFault } from '../sim/net/faults.js';
import type { Distance } from '../sim/net/domains.js';
import type { LatencyClass } from '../sim/net/latency.js';
import { cloneConfig, timingOf, validateAndAdjustTimeouts, type DynamicConfig } from '../sim/patroni/config.js';
import { startLsnSampler } from '../sim/pg/sampler.js';
import { snapshotAll } from '../sim/pg/server.js';
import { clientHistory } from '../sim/client/history.js';
import { World } from '../sim/world.js';
import { diagnostic, ScenarioCannotRunError, ScenarioInputError, type Diagnostic, type Path } from './errors.js';
import { buildClients, type BuiltClients } from './buildClients.js';
import { isRole, ROLE } from './schema/common.js';
import type { NetShapeInput } from './schema/faults.js';
import type { SourceDoc } from './source.js';
import { didYouMean } from './suggest.js';
import type { ClusterDecl, FaultDecl, Scenario } from './types.js';
import { formatDuration } from './units.js';

declare module '../sim/kernel/trace.js' {
  interface TraceMap {
    /** A scenario fault whose targets did not exist when it fired (e.g. `@primary` with no leader). */
    'scenario.fault-skipped': { id: string; kind: string; reason: string };
  }
}

export interface BuildScenarioOptions {
  /** Locates build-time errors in the file. */
  source?: SourceDoc;
  /** Backends to use instead of the registry's (tests; backends not registered yet). */
  backends?: Partial<Record<DcsBackendKind, DcsBackendDefinition>>;
  trace?: TraceOptions;
  /** Listeners subscribed before the first record (the analyzer, a trace file writer). */
  listeners?: ((rec: import('../sim/kernel/trace.js').TraceRecord) => void)[];
}

export interface BuiltScenario {
  scenario: Scenario;
  world: World;
  clusters: ReadonlyMap<string, BuiltCluster>;
  clients: BuiltClients;
  /** Run every phase to the end; `onProgress` is called between slices of virtual time. */
  run(onProgress?: (nowUs: Micros, endUs: Micros) => void): void;
}

/**
 * Collects build problems, thrown together: bad input (a process nobody runs, a kind no model
 * registers) as `ScenarioInputError`, limits of this build of haywire as `ScenarioCannotRunError`.
 */
class BuildErrors {
  readonly list: Diagnostic[] = [];
  readonly unsupported: Diagnostic[] = [];
  constructor(
    private readonly scenario: Scenario,
    private readonly src: SourceDoc | undefined,
  ) {}

  private at(path: Path, message: string): Diagnostic {
    const p = this.src ? this.src.normalize(path) : path;
    const pos = this.src ? this.src.locate(p) : { line: 1, col: 1 };
    return diagnostic(this.scenario.file, pos, p, message);
  }

  add(path: Path, message: string): void {
    this.list.push(this.at(path, message));
  }

  cannot(path: Path, message: string): void {
    this.unsupported.push(this.at(path, message));
  }

  /** What the loader already found valid but not modelled. */
  notModelled(ds: readonly Diagnostic[]): void {
    this.unsupported.push(...ds);
  }

  throwIfAny(): void {
    if (this.list.length > 0) throw new ScenarioInputError([...this.list, ...this.unsupported]);
    if (this.unsupported.length > 0) throw new ScenarioCannotRunError(this.unsupported);
  }
}

function latencyOptions(s: Scenario): { latency?: Partial<Record<Distance, Partial<LatencyClass>>>; overrides?: { between: readonly [string, string]; rttMs: number | readonly [number, number]; jitter?: number; bandwidthBytesPerSec?: number }[] } {
  const latency: Partial<Record<Distance, Partial<LatencyClass>>> = {};
  for (const [d, c] of Object.entries(s.latency.classes)) {
    if (!c) continue;
    const cls: Partial<LatencyClass> = {};
    if (c.rttMs !== undefined) cls.rttMs = typeof c.rttMs === 'number' ? [c.rttMs, c.rttMs] : c.rttMs;
    if (c.jitter !== undefined) cls.jitter = c.jitter;
    if (c.bandwidthBytesPerSec !== undefined) cls.bandwidthBytesPerSec = c.bandwidthBytesPerSec;
    latency[d as Distance] = cls;
  }
  return { latency, overrides: s.latency.overrides.map((o) => ({ ...o })) };
}

/** The `ClusterSpec` of one scenario cluster (hosts already exist in the world). */
export function clusterSpecOf(s: Scenario, c: ClusterDecl, sharedStores: Set<string>): ClusterSpec {
  const store = s.stores.find((x) => x.name === c.store);
  if (!store) throw new Error(`cluster ${c.name} names no known store`);
  const host = (n: string) => s.hosts.find((h) => h.name === n);
  const dcs: DcsSpec = {
    backend: store.backend,
    // a member on a host of its own name gets that host; otherwise it runs on the named (existing) host
    members: store.members.map((m) => (m.host === m.name ? { name: m.name, domains: [...(host(m.host)?.domains ?? [])] } : { name: m.name, domains: [...(host(m.host)?.domains ?? [])], host: m.host })),
    options: { ...store.options },
    store: store.name,
  };
  if (sharedStores.has(store.name)) dcs.shared = store.name;
  const nodes: NodeSpec[] = c.nodes.map((n) => {
    const h = host(n.name);
    const spec: NodeSpec = {
      name: n.name,
      domains: [...(h?.domains ?? [])],
      tags: { ...n.tags },
      watchdog: { mode: n.watchdog.mode, safety_margin: n.watchdog.safety_margin, device: h?.watchdogDevice ?? false },
    };
    if (n.dcsEndpoints) spec.dcsEndpoints = [...n.dcsEndpoints];
    if (n.startAtUs !== undefined) spec.startAtUs = n.startAtUs;
    return spec;
  });
  const pg = c.postgresql;
  return {
    scope: c.name,
    namespace: c.namespace,
    dcs,
    bootstrap: { dcs: cloneConfig(c.dynamic) as DynamicConfig },
    nodes,
    pgOptions: {
      timings: {
        replayBytesPerSec: pg.replayBytesPerSec,
        initdbDataBytes: pg.dataSizeBytes,
        ...(pg.walBandwidthBytesPerSec !== null ? { walSenderBytesPerSec: pg.walBandwidthBytesPerSec } : {}),
      },
      settings: { synchronous_commit: pg.synchronousCommit },
    },
    emitRunStart: false,
    scenario: s.file,
  };
}

/** Build the world of a scenario. Throws `ScenarioInputError` for problems only the build can see. */
export function buildScenario(s: Scenario, opts: BuildScenarioOptions = {}): BuiltScenario {
  const errors = new BuildErrors(s, opts.source);
  errors.notModelled(s.unsupported);
  const world = new World({ seed: s.seed, trace: opts.trace ?? {}, network: latencyOptions(s) });
  for (const l of opts.listeners ?? []) world.sim.trace.subscribe(l);

  // ---- backends (before anything is built) ----
  const definitions = new Map<string, DcsBackendDefinition>();
  s.stores.forEach((st) => {
    const def = opts.backends?.[st.backend] ?? tryBackend(st.backend);
    if (def === null) {
      const c = s.clusters.find((x) => x.store === st.name);
      const path: Path = s.clusters.length > 1 && c ? ['clusters', c.name, 'dcs', 'backend'] : ['dcs', 'backend'];
      errors.cannot(path, `the ${st.backend} backend is not available in this build of haywire (src/sim/dcs/registry.ts does not list it yet)`);
    } else definitions.set(st.name, def);
  });
  errors.throwIfAny();

  // ---- hosts ----
  for (const h of s.hosts) {
    world.addHost({
      name: h.name,
      domains: h.domains,
      clockOffsetUs: h.clockOffsetUs,
      clockDriftPpm: h.clockDriftPpm,
      disk: { fsyncUs: h.fsyncUs },
      bootUs: h.bootUs,
    });
  }

  // ---- run.start: who is who (first record of the run) ----
  const clientPlan = planClients(s);
  emitRunStart(world, s, clientPlan);
  world.sim.trace.emit('run.phase', { phase: 'warmup' });

  // ---- clusters ----
  const clusters = new Map<string, BuiltCluster>();
  const seenStores = new Set<string>();
  for (const c of s.clusters) {
    const shared = new Set(seenStores.has(c.store) ? [c.store] : []);
    const spec = clusterSpecOf(s, c, shared);
    const def = definitions.get(c.store);
    try {
      clusters.set(c.name, buildCluster(world, spec, def ? { backend: def, seed: s.seed } : { seed: s.seed }));
    } catch (e) {
      // most often a backend refusing its options; point there when the file has them
      const message = (e as Error).message;
      const dcsPath: Path = s.clusters.length > 1 && opts.source && hasPath(opts.source.data, ['clusters', c.name, 'dcs']) ? ['clusters', c.name, 'dcs'] : ['dcs'];
      const path: Path = /option/i.test(message) && opts.source && hasPath(opts.source.data, [...dcsPath, 'options']) ? [...dcsPath, 'options'] : dcsPath;
      errors.add(path, `cannot build cluster "${c.name}": ${message}`);
    }
    seenStores.add(c.store);
  }
  errors.throwIfAny();

  // ---- clients and routers ----
  const clients = buildClients(world, s, clusters, clientPlan);
  startLsnSampler(world.sim);

  // ---- faults ----
  scheduleFaults(world, s, clusters, errors);
  errors.throwIfAny();

  // ---- phases ----
  const { phases } = s;
  world.sim.at(phases.warmupUs, () => world.sim.trace.emit('run.phase', { phase: 'chaos' }));
  world.sim.at(phases.chaosEndUs, () => {
    if (phases.heal === 'all') world.nemesis.healAll();
    world.sim.trace.emit('run.phase', { phase: 'converge' });
  });

  return {
    scenario: s,
    world,
    clusters,
    clients,
    run(onProgress) {
      const end = phases.endUs;
      const slice = Math.max(1_000_000, Math.ceil(end / 200));
      while (world.sim.nowUs < end) {
        world.run(Math.min(end, world.sim.nowUs + slice));
        onProgress?.(world.sim.nowUs, end);
      }
      // operations still in flight end as indeterminate; every server's final position is recorded
      clientHistory(world.sim).finish();
      snapshotAll(world.sim);
      world.sim.trace.emit('run.end', { reason: `end of the converge phase at ${formatDuration(end)}` });
    },
  };
}

function hasPath(data: unknown, path: Path): boolean {
  let d = data;
  for (const seg of path) {
    if (d === null || typeof d !== 'object') return false;
    d = (d as Record<string | number, unknown>)[seg];
  }
  return d !== undefined;
}

function tryBackend(kind: DcsBackendKind): DcsBackendDefinition | null {
  try {
    return backendFor(kind);
  } catch {
    return null;
  }
}

// ---- run.start ------------------------------------------------------------------------------

export interface ClientPlan {
  /** Client process names with their hosts and workload index, writers first. */
  clients: { name: string; host: string; workload: number; role: 'writer' | 'reader' }[];
}

function planClients(s: Scenario): ClientPlan {
  const clients: ClientPlan['clients'] = [];
  let w = 0;
  let r = 0;
  s.workloads.forEach((wl, i) => {
    let slot = 0;
    for (let k = 0; k < wl.writers; k++) clients.push({ name: `writer${++w}`, host: wl.clients[slot++ % wl.clients.length] as string, workload: i, role: 'writer' });
    for (let k = 0; k < wl.readers; k++) clients.push({ name: `reader${++r}`, host: wl.clients[slot++ % wl.clients.length] as string, workload: i, role: 'reader' });
  });
  return { clients };
}

function emitRunStart(world: World, s: Scenario, plan: ClientPlan): void {
  const first = s.clusters[0] as ClusterDecl;
  const store = s.stores.find((x) => x.name === first.store);
  const effective = cloneConfig(first.dynamic) as DynamicConfig;
  validateAndAdjustTimeouts(effective);
  const nodes: Record<string, { tags?: Record<string, unknown>; watchdog?: 'off' | 'automatic' | 'required'; store?: string }> = {};
  for (const c of s.clusters) for (const n of c.nodes) nodes[n.name] = { tags: { ...n.tags }, watchdog: n.watchdog.mode, store: c.store };
  world.sim.trace.emit('run.start', {
    scenario: s.file,
    seed: s.seed,
    pgNodes: s.clusters.flatMap((c) => c.nodes.map((n) => n.name)),
    dcs: {
      backend: store?.backend ?? 'etcd',
      members: (store?.members ?? []).map((m) => m.name),
      memberHosts: (store?.members ?? []).map((m) => m.host),
    },
    clients: plan.clients.map((c) => c.name),
    clientHosts: plan.clients.map((c) => c.host),
    hosts: s.hosts.map((h) => ({ name: h.name, domains: [...h.domains] })),
    patroni: { ...timingOf(effective), ...effective },
    nodes,
    stores: s.stores.map((st) => ({ name: st.name, backend: st.backend, members: st.members.map((m) => m.name), memberHosts: st.members.map((m) => m.host) })),
  });
}

// ---- faults ---------------------------------------------------------------------------------

/** Names of the hosts a selector names now (roles resolved against ground truth). */
type Resolve = (names: readonly string[]) => { hosts: string[]; missing: string | null };

function roleNodes(role: string, s: Scenario, clusters: ReadonlyMap<string, BuiltCluster>): { nodes: string[]; missing: string | null } {
  const m = ROLE.exec(role);
  const which = m?.[1] as 'primary' | 'replicas' | 'sync';
  const clusterName = m?.[2] ?? s.clusters[0]?.name ?? '';
  const c = clusters.get(clusterName);
  if (!c) return { nodes: [], missing: `no cluster "${clusterName}"` };
  const primary = primaryOf(c);
  if (which === 'primary') return primary === null ? { nodes: [], missing: `cluster "${clusterName}" has no primary` } : { nodes: [primary], missing: null };
  if (which === 'replicas') return { nodes: c.nodes.map((n) => n.name).filter((n) => n !== primary), missing: null };
  if (primary === null) return { nodes: [], missing: `cluster "${clusterName}" has no primary, hence no synchronous standby` };
  const ssn = c.node(primary).server.configured.synchronous_standby_names;
  const inParens = /\(([^)]*)\)/.exec(ssn)?.[1] ?? ssn;
  const names = inParens.trim() === '*' ? c.nodes.map((n) => n.name).filter((n) => n !== primary) : inParens.split(',').map((x) => x.trim().replace(/^"|"$/g, ''));
  const sync = c.nodes.map((n) => n.name).filter((n) => n !== primary && names.some((x) => x.toLowerCase() === n.toLowerCase()));
  return sync.length === 0 ? { nodes: [], missing: `cluster "${clusterName}" has no synchronous standby` } : { nodes: sync, missing: null };
}

/** The leader-key holder, or else the only writable PostgreSQL server. */
function primaryOf(c: BuiltCluster): string | null {
  const holder = c.leaderHolder();
  if (holder !== null && c.nodes.some((n) => n.name === holder)) return holder;
  const writable = c.nodes.filter((n) => n.server.writable).map((n) => n.name);
  return writable.length === 1 ? (writable[0] as string) : null;
}

function netFault(a: NetShapeInput, resolve: Resolve): { fault: NetFault; missing: string | null } {
  let missing: string | null = null;
  const sel = (names: readonly string[]): string[] => {
    const r = resolve(names);
    if (r.missing !== null) missing = r.missing;
    return r.hosts;
  };
  let fault: NetFault;
  switch (a.kind) {
    case 'isolate':
      fault = { kind: 'isolate', targets: sel(a.targets) };
      break;
    case 'split':
      fault = { kind: 'split', groups: a.groups.map(sel), ...(a.rest !== undefined ? { rest: a.rest } : {}) };
      break;
    case 'cut':
      fault = { kind: 'cut', a: sel(a.a), b: sel(a.b) };
      break;
    case 'one-way':
      fault = { kind: 'one-way', from: sel(a.from), to: sel(a.to) };
      break;
    case 'bridge':
      fault = { kind: 'bridge', a: sel(a.a), b: sel(a.b), bridge: sel(a.bridge) };
      break;
    case 'ring':
      fault = a.members ? { kind: 'ring', members: sel(a.members) } : { kind: 'ring' };
      break;
    case 'degrade': {
      const d: Extract<NetFault, { kind: 'degrade' }> = { kind: 'degrade', a: sel(a.a) };
      if (a.b) d.b = sel(a.b);
      if (a.latencyFactor !== undefined) d.latencyFactor = a.latencyFactor;
      if (a.extraLatency !== undefined) d.extraLatencyMs = a.extraLatency / 1000;
      if (a.loss !== undefined) d.loss = a.loss;
      if (a.duplicate !== undefined) d.duplicate = a.duplicate;
      fault = d;
      break;
    }
  }
  return { fault, missing };
}

/** The nemesis actions a scenario fault stands for, resolved now (when it fires). */
function actionsOf(f: FaultDecl, s: Scenario, world: World, clusters: ReadonlyMap<string, BuiltCluster>, resolve: Resolve): { actions: FaultAction[]; missing: string | null } {
  const a = f.action;
  const hostsOf = (names: readonly string[]): { hosts: string[]; missing: string | null } => {
    // selectors name hosts, domains or roles; host faults act on each host
    const r = resolve(names);
    return r;
  };
  const processes = (list: readonly string[]): { names: string[]; missing: string | null } => {
    const out: string[] = [];
    for (const p of list) {
      const slash = p.lastIndexOf('/');
      const host = p.slice(0, slash);
      const proc = p.slice(slash + 1);
      if (isRole(host)) {
        const r = roleNodes(host, s, clusters);
        if (r.missing !== null) return { names: [], missing: r.missing };
        out.push(...r.nodes.map((n) => `${n}/${proc}`));
      } else out.push(p);
    }
    return { names: out, missing: null };
  };
  const nodeName = (n: string): { name: string | null; missing: string | null } => {
    if (!isRole(n)) return { name: n, missing: null };
    const r = roleNodes(n, s, clusters);
    return r.missing !== null ? { name: null, missing: r.missing } : { name: r.nodes[0] ?? null, missing: null };
  };
  const cluster = f.cluster !== undefined ? { cluster: f.cluster } : {};
  const from = (x: { from?: string | undefined }) => (x.from !== undefined ? { from: x.from } : {});
  switch (a.kind) {
    case 'isolate':
    case 'split':
    case 'cut':
    case 'one-way':
    case 'bridge':
    case 'ring':
    case 'degrade': {
      const r = netFault(a, resolve);
      return { actions: [r.fault as FaultAction], missing: r.missing };
    }
    case 'flap': {
      const r = netFault(a.fault, resolve);
      return { actions: [{ kind: 'flap', fault: r.fault, onUs: a.on, offUs: a.off }], missing: r.missing };
    }
    case 'crash':
    case 'start':
    case 'pause': {
      const r = processes(a.process);
      return { actions: r.names.map((process) => ({ kind: a.kind, process })), missing: r.missing };
    }
    case 'power-off':
    case 'reset': {
      const r = hostsOf(a.host);
      return { actions: r.hosts.map((host) => ({ kind: a.kind, host })), missing: r.missing };
    }
    case 'clock-step': {
      const r = hostsOf(a.host);
      return { actions: r.hosts.map((host) => ({ kind: 'clock-step', host, deltaUs: a.by })), missing: r.missing };
    }
    case 'clock-drift': {
      const r = hostsOf(a.host);
      return { actions: r.hosts.map((host) => ({ kind: 'clock-drift', host, ppm: a.ppm })), missing: r.missing };
    }
    case 'disk-stall': {
      const r = hostsOf(a.host);
      return { actions: r.hosts.map((host) => ({ kind: 'disk-stall', host, latencyUs: a.latency })), missing: r.missing };
    }
    case 'heal':
      return { actions: [], missing: null };
    case 'dcs-outage': {
      const storeName = a.store ?? s.stores[0]?.name;
      const c = [...clusters.values()].find((x) => x.spec.dcs.store === storeName);
      const servers = c?.dcs.servers ?? [];
      const mode = a.mode ?? 'pause';
      if (mode === 'isolate') {
        const hosts = [...new Set(servers.map((p) => p.host.name))];
        return { actions: [{ kind: 'isolate', targets: hosts }], missing: hosts.length === 0 ? `store "${storeName}" has no servers` : null };
      }
      return { actions: servers.map((p) => ({ kind: mode, process: `${p.host.name}/${p.name}` })), missing: servers.length === 0 ? `store "${storeName}" has no servers` : null };
    }
    case 'replay-pause':
    case 'pg-start-fails':
    case 'patroni-stop': {
      const n = nodeName(a.node);
      return { actions: n.name === null ? [] : [{ kind: a.kind, node: n.name }], missing: n.missing };
    }
    case 'switchover': {
      const leader = a.leader !== undefined ? nodeName(a.leader) : { name: null, missing: null };
      const candidate = a.candidate !== undefined ? nodeName(a.candidate) : { name: null, missing: null };
      const act: FaultAction = { kind: 'switchover', ...cluster, ...from(a) };
      if (leader.name !== null) act.leader = leader.name;
      if (candidate.name !== null) act.candidate = candidate.name;
      if (a.scheduled !== undefined) {
        // patronictl --scheduled takes a wall-clock timestamp: now on the operator's host, plus the delay
        const fromHost = a.from ?? clusters.get(f.cluster ?? '')?.nodes[0]?.name;
        const h = fromHost !== undefined && world.net.hasHost(fromHost) ? world.net.host(fromHost) : null;
        act.scheduledAtWallUs = (h ? h.clock.wallUs(world.sim.nowUs) : world.sim.nowUs) + a.scheduled;
      }
      return { actions: [act], missing: leader.missing ?? candidate.missing };
    }
    case 'failover': {
      const candidate = nodeName(a.candidate);
      return { actions: candidate.name === null ? [] : [{ kind: 'failover', ...cluster, ...from(a), candidate: candidate.name }], missing: candidate.missing };
    }
    case 'pause-cluster':
      return { actions: [{ kind: 'patroni-pause', ...cluster, ...from(a) }], missing: null };
    case 'resume-cluster':
      return { actions: [{ kind: 'patroni-resume', ...cluster, ...from(a) }], missing: null };
    case 'restart': {
      const base = { kind: 'pg-restart' as const, ...cluster, ...from(a), ...(a.role !== undefined && a.role !== 'any' ? { role: a.role } : {}), ...(a.pending !== undefined ? { pending: a.pending } : {}) };
      if (a.node === undefined) return { actions: [base], missing: null };
      const r = resolve(a.node);
      return { actions: r.hosts.map((member) => ({ ...base, member })), missing: r.missing };
    }
    case 'reinit': {
      const n = nodeName(a.node);
      const act: FaultAction = { kind: 'reinit', ...cluster, ...from(a), member: n.name ?? '' };
      if (a.force !== undefined) act.force = a.force;
      if (a.fromLeader !== undefined) act.fromLeader = a.fromLeader;
      return { actions: n.name === null ? [] : [act], missing: n.missing };
    }
    case 'edit-config':
      return { actions: [{ kind: 'edit-config', ...cluster, ...from(a), set: { ...a.set } }], missing: null };
    case 'promote-cluster':
      return { actions: [{ kind: 'promote-cluster', ...cluster, ...from(a) }], missing: null };
    case 'demote-cluster': {
      const act: FaultAction = { kind: 'demote-cluster', ...cluster, ...from(a), host: a.host };
      if (a.port !== undefined) act.port = a.port;
      if (a.primary_slot_name !== undefined) act.primary_slot_name = a.primary_slot_name;
      return { actions: [act], missing: null };
    }
    case '$model':
      return { actions: [{ kind: a.modelKind, ...a.params } as unknown as FaultAction], missing: null };
  }
}

/** The nemesis kind each scenario kind becomes (for the registry check). */
const NEMESIS_KIND: Readonly<Record<string, string>> = {
  'pause-cluster': 'patroni-pause',
  'resume-cluster': 'patroni-resume',
  restart: 'pg-restart',
};

function scheduleFaults(world: World, s: Scenario, clusters: ReadonlyMap<string, BuiltCluster>, errors: BuildErrors): void {
  // hosts in each failure domain (static), for host faults that name a domain
  const domainHosts = new Map<string, string[]>();
  for (const h of s.hosts) {
    for (const d of h.domains) {
      const l = domainHosts.get(d) ?? [];
      l.push(h.name);
      domainHosts.set(d, l);
    }
  }
  const resolve: Resolve = (names) => {
    const out: string[] = [];
    for (const n of names) {
      if (isRole(n)) {
        const r = roleNodes(n, s, clusters);
        if (r.missing !== null) return { hosts: [], missing: r.missing };
        out.push(...r.nodes);
      } else if (world.net.hasHost(n)) out.push(n);
      else out.push(...(domainHosts.get(n) ?? []));
    }
    return { hosts: [...new Set(out)], missing: null };
  };

  // build-time checks: every kind is registered; every named process exists
  const subIds = new Map<string, string[]>();
  for (const f of s.faults) {
    const a = f.action;
    const kind = a.kind === '$model' ? a.modelKind : (NEMESIS_KIND[a.kind] ?? a.kind);
    if (a.kind !== 'heal' && !world.nemesis.knows(kind)) {
      const known = world.nemesis.kinds;
      errors.add([...f.path, 'kind'], `no model registers the fault kind "${kind}" in this scenario's world${didYouMean(kind, known)}; registered: ${known.join(', ')}`);
    }
    if (a.kind === 'crash' || a.kind === 'start' || a.kind === 'pause') {
      a.process.forEach((p, j) => {
        const slash = p.lastIndexOf('/');
        const host = p.slice(0, slash);
        const proc = p.slice(slash + 1);
        const hostNames = isRole(host) ? (clusters.get(ROLE.exec(host)?.[2] ?? s.clusters[0]?.name ?? '')?.nodes.map((n) => n.name) ?? []) : [host];
        for (const hn of hostNames) {
          if (!world.net.hasHost(hn)) continue;
          const h = world.net.host(hn);
          if (h.process(proc) === undefined) {
            const running = h.processes.map((x) => x.name);
            errors.add(a.process.length > 1 ? [...f.path, 'process', j] : [...f.path, 'process'], `host "${hn}" runs no process "${proc}"${didYouMean(proc, running)}; it runs ${running.join(', ') || 'nothing'}`);
            break;
          }
        }
      });
    }
  }
  if (errors.list.length > 0) return;

  for (const f of s.faults) {
    world.sim.at(f.atUs, () => {
      if (f.action.kind === 'heal') {
        const target = f.action.fault;
        if (target === undefined) world.nemesis.healAll();
        else for (const id of subIds.get(target) ?? []) world.nemesis.heal(id);
        return;
      }
      const { actions, missing } = actionsOf(f, s, world, clusters, resolve);
      if (missing !== null || actions.length === 0) {
        world.sim.trace.emit('scenario.fault-skipped', { id: f.id, kind: f.action.kind, reason: missing ?? 'it names nothing that exists now' });
        return;
      }
      const ids = actions.map((_, i) => (actions.length === 1 ? f.id : `${f.id}.${i + 1}`));
      subIds.set(f.id, ids);
      actions.forEach((act, i) => world.nemesis.apply(act, ids[i], f.durationUs));
    });
  }
}

/**
 * Build without running, to find what only the build can see (the dry run of `haywire validate`).
 * Returns nothing when the scenario would run; throws like `buildScenario` otherwise.
 */
export function checkBuildable(s: Scenario, opts: Pick<BuildScenarioOptions, 'source' | 'backends'> = {}): void {
  buildScenario(s, { ...opts, trace: {} });
}
