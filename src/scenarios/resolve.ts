// From a schema-valid scenario to a resolved one: defaults filled in, hosts created for nodes and
// DCS members that have none declared, names checked across sections (a node on an unknown host,
// a fault naming an unknown domain, a memory store under several nodes...), every problem a
// positioned diagnostic.
import { DEFAULT_DCS_MEMBERS } from './schema/dcs.js';
import type { NodeInput, PatroniInput } from './schema/patroni.js';
import type { ScenarioInput } from './schema/scenario.js';
import type { PostgresqlInput } from './schema/postgresql.js';
import type { WorkloadInput } from './schema/workload.js';
import type { DcsInput } from './schema/dcs.js';
import { DEFAULTS } from './defaults.js';
import { diagnostic, type Diagnostic, type Path } from './errors.js';
import type { SourceDoc } from './source.js';
import { didYouMean } from './suggest.js';
import { checkFaults } from './resolveFaults.js';
import { checkPatroni } from './resolvePatroni.js';
import type {
  ClusterDecl,
  ExpectDecl,
  HostDecl,
  LatencyDecl,
  NodeDecl,
  PhasesDecl,
  PostgresqlDecl,
  Scenario,
  StoreDecl,
  WorkloadDecl,
  RouterDecl,
} from './types.js';
import type { DcsBackendKind } from '../sim/history/records.js';
import { formatDuration } from './units.js';

/** Collects diagnostics located in one source file. */
export class Reporter {
  readonly diagnostics: Diagnostic[] = [];
  constructor(readonly src: SourceDoc) {}

  error(path: Path, message: string, what: 'key' | 'value' = 'value'): void {
    const p = this.src.normalize(path);
    this.diagnostics.push(diagnostic(this.src.file, this.src.locate(p, what), p, message));
  }

  warn(path: Path, message: string, what: 'key' | 'value' = 'value'): void {
    const p = this.src.normalize(path);
    this.diagnostics.push(diagnostic(this.src.file, this.src.locate(p, what), p, message, 'warning'));
  }

  /** Valid for Patroni, but not modelled by haywire: the build refuses it (exit 3, not 2). */
  cannot(path: Path, message: string, what: 'key' | 'value' = 'value'): void {
    const p = this.src.normalize(path);
    this.unsupported.push(diagnostic(this.src.file, this.src.locate(p, what), p, message));
  }

  readonly unsupported: Diagnostic[] = [];

  get failed(): boolean {
    return this.diagnostics.some((d) => d.severity === 'error');
  }
}

/** Names the rest of the scenario may refer to. */
export class NameTable {
  readonly hosts = new Map<string, HostDecl>();
  /** Domain name → the levels it appears at (for ambiguity warnings). */
  readonly domains = new Map<string, Set<string>>();
  readonly nodes = new Map<string, string>(); // node → cluster
  readonly clusters = new Map<string, ClusterDecl>();
  readonly stores = new Map<string, StoreDecl>();

  addHost(h: HostDecl): void {
    this.hosts.set(h.name, h);
    h.domains.forEach((d, i) => {
      const parent = h.domains.slice(0, i).join('/');
      const where = `${i}:${parent}`;
      let s = this.domains.get(d);
      if (!s) this.domains.set(d, (s = new Set()));
      s.add(where);
    });
  }

  /** Host or failure-domain names, for suggestions. */
  selectable(): string[] {
    return [...this.hosts.keys(), ...this.domains.keys()];
  }

  isSelectable(name: string): boolean {
    return this.hosts.has(name) || this.domains.has(name);
  }

  /** A domain name used in several places of the tree (room1 in dc1 and in dc2): a selector takes them all. */
  isAmbiguous(name: string): boolean {
    return !this.hosts.has(name) && (this.domains.get(name)?.size ?? 0) > 1;
  }
}

interface ClusterSource {
  name: string;
  base: Path;
  patroni: PatroniInput;
  dcs: DcsInput | undefined;
  dcsPath: Path;
  postgresql: PostgresqlInput | undefined;
}

export function resolveScenario(input: ScenarioInput, src: SourceDoc): { scenario: Scenario | null; diagnostics: Diagnostic[] } {
  const r = new Reporter(src);
  const names = new NameTable();

  // ---- hosts declared in the topology ----
  const declared = input.topology?.hosts ?? {};
  const topologyDeclared = Object.keys(declared).length > 0;
  for (const [name, h] of Object.entries(declared)) {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) {
      r.error(['topology', 'hosts', name], `"${name}" is not a valid host name (letters, digits, ".", "-" and "_")`, 'key');
      continue;
    }
    names.addHost({
      name,
      domains: h.domains,
      clockOffsetUs: h.clock?.offset ?? 0,
      clockDriftPpm: h.clock?.drift ?? 0,
      fsyncUs: h.disk?.fsync ?? -1, // filled below (database hosts take postgresql.disk)
      bootUs: h.boot ?? DEFAULTS.host.bootUs,
      watchdogDevice: h.watchdogDevice ?? false,
      auto: false,
    });
  }

  const autoHost = (name: string, domains: string[]): HostDecl => {
    const h: HostDecl = {
      name,
      domains,
      clockOffsetUs: 0,
      clockDriftPpm: 0,
      fsyncUs: -1,
      bootUs: DEFAULTS.host.bootUs,
      watchdogDevice: DEFAULTS.host.watchdogDevice,
      auto: true,
    };
    names.addHost(h);
    return h;
  };
  const defaultDomains = (host: string): string[] => [DEFAULTS.host.region, DEFAULTS.host.datacenter, DEFAULTS.host.room, `rack-${host}`];

  // ---- clusters ----
  const sources: ClusterSource[] = [];
  if (input.clusters !== undefined) {
    if (input.patroni !== undefined) r.error(['patroni'], 'give either "patroni" (one cluster) or "clusters" (several), not both', 'key');
    for (const [name, c] of Object.entries(input.clusters)) {
      sources.push({
        name,
        base: ['clusters', name],
        patroni: c.patroni,
        dcs: c.dcs ?? input.dcs,
        dcsPath: c.dcs ? ['clusters', name, 'dcs'] : ['dcs'],
        postgresql: c.postgresql ?? input.postgresql,
      });
      if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) r.error(['clusters', name], `"${name}" is not a valid cluster name`, 'key');
    }
    if (sources.length === 0) r.error(['clusters'], 'names no cluster');
  } else {
    const patroni = input.patroni ?? {};
    sources.push({ name: patroni.scope ?? DEFAULTS.cluster.scope, base: ['patroni'], patroni, dcs: input.dcs, dcsPath: ['dcs'], postgresql: input.postgresql });
  }

  // nodes and their hosts
  const clusterNodes = new Map<string, NodeDecl[]>();
  for (const c of sources) {
    const list: NodeInput[] = c.patroni.nodes ?? Array.from({ length: DEFAULTS.cluster.nodes }, (_, i) => ({ name: `pg${i + 1}` }));
    const nodes: NodeDecl[] = [];
    list.forEach((n, i) => {
      const path: Path = [...c.base, 'nodes', i];
      if (names.nodes.has(n.name)) {
        r.error([...path, 'name'], `node "${n.name}" is already defined${names.nodes.get(n.name) !== c.name ? ` in cluster "${names.nodes.get(n.name)}"` : ''}`);
        return;
      }
      names.nodes.set(n.name, c.name);
      if (n.host !== undefined && n.host !== n.name) {
        const hint = names.hosts.has(n.host) ? '' : didYouMean(n.host, [...names.hosts.keys()]);
        r.error(
          [...path, 'host'],
          names.hosts.has(n.host)
            ? `a node runs on the host of its own name (node names are host names in traces); rename the node to "${n.host}" or give it "domains"`
            : `unknown host "${n.host}"${hint}; a node runs on the host of its own name, declared under topology.hosts or placed with "domains"`,
        );
      }
      const declaredHost = names.hosts.get(n.name);
      if (declaredHost && n.domains !== undefined) {
        r.error([...path, 'domains'], `host "${n.name}" is declared under topology.hosts; place it there, not here`);
      } else if (!declaredHost) {
        if (topologyDeclared && n.domains === undefined && c.patroni.nodes !== undefined) {
          r.warn([...path], `node "${n.name}" has no host declared under topology.hosts; it gets one in ${defaultDomains(n.name).join('/')}${didYouMean(n.name, [...names.hosts.keys()])}`);
        }
        autoHost(n.name, n.domains ?? defaultDomains(n.name));
      }
      nodes.push({
        name: n.name,
        tags: { ...(c.patroni.tags ?? {}), ...(n.tags ?? {}) } as NodeDecl['tags'],
        watchdog: {
          mode: n.watchdog?.mode ?? c.patroni.watchdog?.mode ?? DEFAULTS.watchdog.mode,
          device: n.watchdog?.device ?? c.patroni.watchdog?.device ?? DEFAULTS.watchdog.device,
          safety_margin: n.watchdog?.safety_margin ?? c.patroni.watchdog?.safety_margin ?? DEFAULTS.watchdog.safety_margin,
        },
        ...(n.dcsEndpoints ? { dcsEndpoints: n.dcsEndpoints } : {}),
        ...(n.startAt !== undefined ? { startAtUs: n.startAt } : {}),
      });
    });
    clusterNodes.set(c.name, nodes);
  }

  // ---- stores ----
  const storeOf = new Map<string, string>(); // cluster → store name
  const storeByPath = new Map<string, StoreDecl>();
  for (const c of sources) {
    if (c.dcs === undefined) {
      r.error(c.base.length > 1 ? c.base : [], `missing required key "dcs" (the store Patroni uses: backend etcd, zookeeper, consul, ...)`);
      continue;
    }
    const key = c.dcsPath.join('.');
    let store = storeByPath.get(key);
    if (!store) {
      store = resolveStore(c.dcs, c.dcsPath, clusterNodes.get(c.name) ?? [], names, r, autoHost);
      if (names.stores.has(store.name)) {
        r.error([...c.dcsPath, 'name'], `two stores are named "${store.name}"; give each a "name"`);
      }
      names.stores.set(store.name, store);
      storeByPath.set(key, store);
    }
    storeOf.set(c.name, store.name);
    const nodes = clusterNodes.get(c.name) ?? [];
    // the store refuses several nodes unless told to give each its own memory (allowSplit: the D9 demonstration)
    if (store.backend === 'memory' && nodes.length > 1 && store.options.allowSplit !== true) {
      r.error(
        [...c.dcsPath, 'backend'],
        `the memory store lives in one Patroni process's memory and cannot be shared: it serves a single-node cluster only, and cluster "${c.name}" has ${nodes.length} nodes (use a real store such as etcd, or nodes: 1)`,
      );
    }
    for (const [i, n] of (c.patroni.nodes ?? []).entries()) {
      for (const [j, e] of (n.dcsEndpoints ?? []).entries()) {
        if (!store.members.some((m) => m.name === e)) {
          r.error([...c.base, 'nodes', i, 'dcsEndpoints', j], `"${e}" is not a member of store "${store.name}"${didYouMean(e, store.members.map((m) => m.name))}`);
        }
      }
    }
  }
  if (sources.length > 1) {
    const memoryShared = [...names.stores.values()].filter((s) => s.backend === 'memory' && [...storeOf.values()].filter((x) => x === s.name).length > 1);
    for (const s of memoryShared) r.error(['dcs', 'backend'], `the memory store "${s.name}" cannot be shared by several clusters`);
  }

  // ---- postgresql per cluster, and the patroni dynamic config ----
  const clusters: ClusterDecl[] = [];
  for (const c of sources) {
    const pg = resolvePostgresql(c.postgresql);
    const dynamic = checkPatroni(c.patroni, c.base, r);
    const params = (dynamic.postgresql as { parameters?: Record<string, unknown> } | undefined)?.parameters;
    if (c.postgresql?.synchronous_commit !== undefined && params?.synchronous_commit !== undefined && params.synchronous_commit !== c.postgresql.synchronous_commit) {
      r.error([...c.base, 'postgresql', 'parameters', 'synchronous_commit'], `contradicts postgresql.synchronous_commit (${c.postgresql.synchronous_commit}); set it in one place`);
    }
    if (c.postgresql?.synchronous_commit !== undefined) {
      const pgSection = (dynamic.postgresql ?? {}) as Record<string, unknown>;
      pgSection.parameters = { ...((pgSection.parameters as Record<string, unknown> | undefined) ?? {}), synchronous_commit: c.postgresql.synchronous_commit };
      dynamic.postgresql = pgSection;
    } else if (typeof params?.synchronous_commit === 'string') {
      pg.synchronousCommit = params.synchronous_commit as PostgresqlDecl['synchronousCommit'];
    }
    const cluster: ClusterDecl = {
      name: c.base[0] === 'clusters' ? c.name : (c.patroni.scope ?? DEFAULTS.cluster.scope),
      namespace: c.patroni.namespace ?? DEFAULTS.cluster.namespace,
      store: storeOf.get(c.name) ?? '',
      dynamic,
      nodes: clusterNodes.get(c.name) ?? [],
      postgresql: pg,
    };
    if (c.base[0] === 'clusters' && c.patroni.scope !== undefined && c.patroni.scope !== c.name) {
      r.error([...c.base, 'scope'], `the cluster is named "${c.name}" by its key under "clusters"; scope must match or be left out`);
    }
    for (const n of cluster.nodes) {
      const h = names.hosts.get(n.name);
      if (h && h.fsyncUs < 0) h.fsyncUs = pg.fsyncUs;
      if (h && n.watchdog.mode === 'required' && !h.watchdogDevice) {
        const i = (c.patroni.nodes ?? []).findIndex((x) => x.name === n.name);
        r.warn(i >= 0 ? [...c.base, 'nodes', i] : [...c.base, 'watchdog'], `watchdog mode is required but host "${n.name}" has no watchdog device (topology.hosts.${n.name}.watchdogDevice); Patroni will refuse to run as leader there`);
      }
    }
    names.clusters.set(cluster.name, cluster);
    clusters.push(cluster);
  }
  // standby_cluster.host names a host or another cluster
  for (const [i, c] of clusters.entries()) {
    const sc = c.dynamic.standby_cluster as { host?: string } | undefined;
    const base = sources[i]?.base ?? [];
    if (sc?.host !== undefined) {
      const p: Path = [...base, 'standby_cluster', 'host'];
      if (names.clusters.has(sc.host)) {
        r.cannot(p, `name a host of cluster "${sc.host}" (for instance ${names.clusters.get(sc.host)?.nodes[0]?.name ?? 'its first node'}); following a cluster's leader through a VIP is not modelled yet`);
      } else if (!names.hosts.has(sc.host)) {
        r.error(p, `unknown host "${sc.host}"${didYouMean(sc.host, [...names.hosts.keys()])}`);
      } else if (c.nodes.some((n) => n.name === sc.host)) {
        r.error(p, `"${sc.host}" is a node of this cluster; a standby cluster replicates from another one`);
      }
    }
  }

  // ---- phases ----
  const ph = input.phases ?? {};
  const warmupUs = ph.warmup ?? DEFAULTS.phases.warmupUs;
  const chaosUs = ph.chaos ?? DEFAULTS.phases.chaosUs;
  const convergeUs = ph.converge ?? DEFAULTS.phases.convergeUs;
  const phases: PhasesDecl = {
    warmupUs,
    chaosUs,
    convergeUs,
    heal: ph.heal ?? DEFAULTS.phases.heal,
    chaosEndUs: warmupUs + chaosUs,
    endUs: warmupUs + chaosUs + convergeUs,
  };
  if (phases.endUs === 0) r.error(['phases'], 'the run has no length (warmup + chaos + converge is 0)');

  // ---- workloads ----
  const workloads: WorkloadDecl[] = [];
  (input.workload ?? [{}]).forEach((w, i) => {
    const path: Path = input.workload ? ['workload', i] : ['workload'];
    const wl = resolveWorkload(w, path, clusters, names, r, autoHost, phases);
    if (wl) workloads.push(wl);
  });

  // ---- latency ----
  const latency: LatencyDecl = { classes: {}, overrides: [] };
  for (const [cls, v] of Object.entries(input.topology?.latency?.classes ?? {})) {
    if (!v) continue;
    latency.classes[cls as keyof LatencyDecl['classes']] = {
      ...(v.rtt !== undefined ? { rttMs: v.rtt } : {}),
      ...(v.jitter !== undefined ? { jitter: v.jitter } : {}),
      ...(v.bandwidth !== undefined ? { bandwidthBytesPerSec: v.bandwidth } : {}),
    };
  }
  (input.topology?.latency?.overrides ?? []).forEach((o, i) => {
    o.between.forEach((n, j) => {
      const p: Path = ['topology', 'latency', 'overrides', i, 'between', j];
      if (!names.isSelectable(n)) r.error(p, `unknown host or failure domain "${n}"${didYouMean(n, names.selectable())}`);
      else if (names.isAmbiguous(n)) r.warn(p, `"${n}" names failure domains in several places of the tree; all of them are meant`);
    });
    latency.overrides.push({
      between: [o.between[0], o.between[1]],
      rttMs: o.rtt,
      ...(o.jitter !== undefined ? { jitter: o.jitter } : {}),
      ...(o.bandwidth !== undefined ? { bandwidthBytesPerSec: o.bandwidth } : {}),
    });
  });

  // a domain named like a host: selectors would pick the host
  for (const d of names.domains.keys()) {
    if (names.hosts.has(d)) r.warn(['topology'], `"${d}" is both a host and a failure domain; faults naming it mean the host`);
  }

  // ---- faults ----
  const faults = checkFaults(input.faults ?? [], { names, phases, clusters, stores: [...names.stores.values()], r });

  // ---- expect (validated by the schema against the report's expectation list) ----
  const expect: ExpectDecl = input.expect ?? {};

  // ---- covers ----
  const covers = input.covers ?? [];
  covers.forEach((id, i) => {
    if (covers.indexOf(id) !== i) r.warn(['covers', i], `${id} is listed twice`);
  });

  for (const h of names.hosts.values()) if (h.fsyncUs < 0) h.fsyncUs = DEFAULTS.host.fsyncUs;
  if (r.failed) return { scenario: null, diagnostics: r.diagnostics };
  const scenario: Scenario = {
    file: src.file,
    name: input.name ?? baseName(src.file),
    description: input.description ?? '',
    covers,
    seed: input.seed ?? DEFAULTS.seed,
    hosts: [...names.hosts.values()],
    latency,
    stores: [...names.stores.values()],
    clusters,
    workloads,
    faults,
    phases,
    expect,
    unsupported: r.unsupported,
  };
  return { scenario, diagnostics: r.diagnostics };
}

function baseName(file: string): string {
  const b = file.split(/[\\/]/).pop() ?? file;
  return b.replace(/\.ya?ml$/i, '');
}

function memberName(store: string, i: number): string {
  return /\d$/.test(store) ? `${store}-${i}` : `${store}${i}`;
}

function resolveStore(
  dcs: DcsInput,
  path: Path,
  nodes: NodeDecl[],
  names: NameTable,
  r: Reporter,
  autoHost: (name: string, domains: string[]) => HostDecl,
): StoreDecl {
  const backend: DcsBackendKind = dcs.backend;
  const storeName = dcs.name ?? backend;
  const members: StoreDecl['members'] = [];
  const colocated = (i: number): string[] => {
    const node = nodes.length > 0 ? nodes[i % nodes.length] : undefined;
    const h = node ? names.hosts.get(node.name) : undefined;
    return h ? [...h.domains] : [DEFAULTS.host.region, DEFAULTS.host.datacenter, DEFAULTS.host.room, `rack-${storeName}`];
  };
  if (backend === 'memory') {
    const m = dcs.members;
    if (m !== undefined && (typeof m === 'number' ? m > 0 : m.length > 0)) {
      r.error([...path, 'members'], 'the memory store has no server members: it lives inside the Patroni process (leave "members" out)');
    }
    return { name: storeName, backend, members, options: dcs.options ?? {} };
  }
  const spec = dcs.members ?? DEFAULT_DCS_MEMBERS[backend];
  const list = typeof spec === 'number' ? Array.from({ length: spec }, (_, i) => ({ name: memberName(storeName, i + 1), host: undefined, domains: undefined })) : spec;
  if (list.length === 0) r.error([...path, 'members'], `a ${backend} store needs at least one member`);
  const seen = new Set<string>();
  list.forEach((m, i) => {
    const mpath: Path = typeof spec === 'number' ? [...path, 'members'] : [...path, 'members', i];
    if (seen.has(m.name)) r.error([...mpath, 'name'], `member "${m.name}" is listed twice`);
    seen.add(m.name);
    let host = m.host;
    if (host !== undefined) {
      if (!names.hosts.has(host)) {
        r.error([...mpath, 'host'], `unknown host "${host}"${didYouMean(host, [...names.hosts.keys()])}; declare it under topology.hosts or use a node's host`);
      }
      if (m.domains !== undefined) r.error([...mpath, 'domains'], 'give "host" or "domains", not both');
    } else {
      host = m.name;
      if (names.hosts.has(host)) {
        if (m.domains !== undefined) r.error([...mpath, 'domains'], `host "${host}" already exists; place it in one place`);
      } else autoHost(host, m.domains ?? colocated(i));
    }
    members.push({ name: m.name, host });
  });
  return { name: storeName, backend, members, options: dcs.options ?? {} };
}

function resolvePostgresql(pg: PostgresqlInput | undefined): PostgresqlDecl {
  return {
    version: pg?.version ?? DEFAULTS.postgresql.version,
    dataSizeBytes: pg?.dataSize ?? DEFAULTS.postgresql.dataSizeBytes,
    synchronousCommit: pg?.synchronous_commit ?? DEFAULTS.postgresql.synchronousCommit,
    fsyncUs: pg?.disk?.fsync ?? DEFAULTS.host.fsyncUs,
    replayBytesPerSec: pg?.replaySpeed ?? DEFAULTS.postgresql.replayBytesPerSec,
    walBandwidthBytesPerSec: pg?.walBandwidth ?? null,
  };
}

function resolveWorkload(
  w: WorkloadInput,
  path: Path,
  clusters: ClusterDecl[],
  names: NameTable,
  r: Reporter,
  autoHost: (name: string, domains: string[]) => HostDecl,
  phases: PhasesDecl,
): WorkloadDecl | null {
  const clusterName = w.cluster ?? clusters[0]?.name;
  const cluster = clusters.find((c) => c.name === clusterName);
  if (!cluster) {
    if (w.cluster !== undefined) r.error([...path, 'cluster'], `unknown cluster "${w.cluster}"${didYouMean(w.cluster, clusters.map((c) => c.name))}`);
    return null;
  }
  const firstNode = cluster.nodes[0] ? names.hosts.get(cluster.nodes[0].name) : undefined;
  const nearFirst = (host: string): string[] => {
    const d = firstNode?.domains ?? [DEFAULTS.host.region, DEFAULTS.host.datacenter, DEFAULTS.host.room];
    return d.length >= 3 ? [...d.slice(0, 3), `rack-${host}`] : [...d];
  };
  const clients = w.clients ?? [DEFAULTS.workload.client];
  clients.forEach((c) => {
    if (!names.hosts.has(c)) autoHost(c, nearFirst(c));
  });
  const rt = w.router ?? { kind: 'haproxy' as const };
  let router: RouterDecl;
  switch (rt.kind) {
    case 'haproxy': {
      const intervalUs = rt.interval ?? DEFAULTS.haproxy.intervalUs;
      if (rt.host !== undefined && !names.hosts.has(rt.host)) autoHost(rt.host, nearFirst(rt.host));
      router = {
        kind: 'haproxy',
        host: rt.host ?? null,
        intervalUs,
        fall: rt.fall ?? DEFAULTS.haproxy.fall,
        rise: rt.rise ?? DEFAULTS.haproxy.rise,
        timeoutUs: rt.timeout ?? DEFAULTS.haproxy.timeoutUs,
        shutdownSessions: rt.shutdownSessions ?? DEFAULTS.haproxy.shutdownSessions,
      };
      break;
    }
    case 'libpq': {
      const nodeNames = cluster.nodes.map((n) => n.name);
      (rt.hosts ?? []).forEach((h, j) => {
        if (!nodeNames.includes(h)) r.error([...path, 'router', 'hosts', j], `"${h}" is not a node of cluster "${cluster.name}"${didYouMean(h, nodeNames)}`);
      });
      router = {
        kind: 'libpq',
        hosts: rt.hosts ?? nodeNames,
        targetSessionAttrs: rt.targetSessionAttrs ?? DEFAULTS.libpq.targetSessionAttrs,
        connectTimeoutUs: rt.connectTimeout ?? null,
      };
      break;
    }
    case 'vip':
      router = { kind: 'vip', intervalUs: rt.interval ?? DEFAULTS.vip.intervalUs, delayUs: rt.delay ?? DEFAULTS.vip.delayUs };
      if ((w.readers ?? 0) > 0 && (w.readFrom ?? 'primary') !== 'primary') {
        r.error([...path, 'readFrom'], 'a VIP follows the leader key: readers behind it read from the primary (use haproxy or libpq to read from replicas)');
      }
      break;
  }
  const startUs = w.start ?? phases.warmupUs;
  if (startUs >= phases.endUs) r.error([...path, 'start'], `clients start at ${formatDuration(startUs)}, after the end of the run (${formatDuration(phases.endUs)})`);
  return {
    cluster: cluster.name,
    writers: w.writers ?? DEFAULTS.workload.writers,
    writesPerSec: w.rate ?? DEFAULTS.workload.writesPerSec,
    arrivals: w.arrivals ?? DEFAULTS.workload.arrivals,
    writeSizeBytes: w.writeSize ?? DEFAULTS.workload.writeSizeBytes,
    readers: w.readers ?? DEFAULTS.workload.readers,
    readsPerSec: w.readRate ?? DEFAULTS.workload.readsPerSec,
    readFrom: w.readFrom ?? DEFAULTS.workload.readFrom,
    clients,
    startUs,
    timeoutUs: w.timeout ?? DEFAULTS.workload.timeoutUs,
    router,
    retry: {
      attempts: w.retry?.attempts ?? DEFAULTS.workload.retry.attempts,
      backoffUs: w.retry?.backoff ?? DEFAULTS.workload.retry.backoffUs,
      multiplier: w.retry?.multiplier ?? DEFAULTS.workload.retry.multiplier,
      retryUnknown: w.retry?.retryUnknown ?? DEFAULTS.workload.retry.retryUnknown,
    },
  };
}

