// Programmatic cluster assembly: hosts, PostgreSQL servers, watchdog devices, the DCS deployment and
// one Patroni agent per node (plus standby clusters), wired the way patroni.yml files would wire
// them. Scenarios (src/scenarios) map YAML onto `ClusterSpec` and call `buildCluster`.
import type { World } from '../world.js';
import type { Host } from '../host/host.js';
import { backendFor } from '../dcs/registry.js';
import type { DcsBackendDefinition, DcsDeployment } from '../dcs/backend.js';
import type { DcsBackendKind } from '../history/records.js';
import { deployPg, pgServers } from '../pg/deploy.js';
import type { PgServerImpl } from '../pg/server.js';
import { PatroniAgent, type PatroniLocalConfig } from '../patroni/patroni.js';
import { WatchdogDevice } from '../patroni/watchdog.js';
import { cloneConfig, validateAndAdjustTimeouts, type DynamicConfig } from '../patroni/config.js';
import { registerClusterForCtl, registerPatroniOperations } from '../patroni/ctl.js';
import type { ClusterSpec, HostPlacement, NodeSpec } from './spec.js';

export interface BuiltNode {
  name: string;
  host: Host;
  agent: PatroniAgent;
  server: PgServerImpl;
  device: WatchdogDevice;
  spec: NodeSpec;
}

export interface BuiltCluster {
  scope: string;
  namespace: string;
  spec: ClusterSpec;
  nodes: BuiltNode[];
  dcs: DcsDeployment;
  standbyClusters: BuiltCluster[];
  node(name: string): BuiltNode;
  /** Ground truth from the store: who holds the leader key now. */
  leaderHolder(): string | null;
}

export interface BuildOptions {
  /** Use this backend definition instead of the registry's (tests; backends not yet registered). */
  backend?: DcsBackendDefinition;
  /** Seed label for run.start (default: the world's seed). */
  seed?: string;
}

const deployments = new WeakMap<World, Map<string, DcsDeployment>>();
/** The namespace/scope each deployment's clients are bound to. */
const scopes = new WeakMap<DcsDeployment, string>();

function ensureHost(world: World, p: HostPlacement): Host {
  if (world.net.hasHost(p.name)) return world.net.host(p.name);
  const spec: Parameters<World['addHost']>[0] = { name: p.name, domains: p.domains };
  if (p.bootUs !== undefined) spec.bootUs = p.bootUs;
  if (p.clockOffsetUs !== undefined) spec.clockOffsetUs = p.clockOffsetUs;
  if (p.clockDriftPpm !== undefined) spec.clockDriftPpm = p.clockDriftPpm;
  if (p.fsyncUs !== undefined) spec.disk = { fsyncUs: p.fsyncUs };
  return world.addHost(spec);
}

/** Build a Patroni cluster (and its standby clusters) into `world`, and start it. */
export function buildCluster(world: World, spec: ClusterSpec, opts: BuildOptions = {}): BuiltCluster {
  registerPatroniOperations(world);
  const scope = spec.scope ?? 'batman';
  const namespace = spec.namespace ?? 'service';

  // hosts: the nodes', then the DCS members' own (a member may run on an existing host instead)
  for (const n of spec.nodes) ensureHost(world, { name: n.name, domains: n.domains, ...(n.host ?? {}) });
  for (const m of spec.dcs.members) {
    if (m.host === undefined) ensureHost(world, m);
    else if (!world.net.hasHost(m.host)) throw new Error(`DCS member ${m.name}: host "${m.host}" does not exist`);
  }

  // PostgreSQL servers (empty data directories; Patroni bootstraps or clones them)
  const existing = pgServers(world.sim);
  const fresh = spec.nodes.map((n) => n.name).filter((n) => !existing.has(n));
  deployPg(world, { nodes: fresh, defaults: (spec.pgOptions ?? {}) as Parameters<typeof deployPg>[1]['defaults'] });

  // the DCS
  const store = spec.dcs.store ?? spec.dcs.backend;
  let perWorld = deployments.get(world);
  if (!perWorld) {
    perWorld = new Map();
    deployments.set(world, perWorld);
  }
  let dcs = perWorld.get(spec.dcs.shared ?? store);
  let startDcs = false;
  const deployedFor = scopes.get(dcs as DcsDeployment);
  if (dcs && deployedFor !== undefined && deployedFor !== `${namespace}/${scope}`) {
    throw new Error(
      `store "${spec.dcs.shared ?? store}" was deployed for ${deployedFor}; its clients are bound to that scope, so cluster ${namespace}/${scope} needs a store of its own`,
    );
  }
  if (!dcs) {
    const def = opts.backend ?? backendFor(spec.dcs.backend);
    dcs = def.deploy(world, {
      scope,
      namespace,
      members: spec.dcs.members.map((m) => ({ name: m.name, host: m.host ?? m.name })),
      options: spec.dcs.options ?? {},
      store,
    });
    perWorld.set(store, dcs);
    scopes.set(dcs, `${namespace}/${scope}`);
    startDcs = true;
  }
  const deployment = dcs;

  // watchdog configuration check happens per node at activation; the dynamic config is checked here once
  const bootstrapDcs: DynamicConfig = cloneConfig(spec.bootstrap?.dcs ?? {});

  const nodes: BuiltNode[] = spec.nodes.map((n) => {
    const host = world.net.host(n.name);
    const wd = { ...(spec.watchdog ?? {}), ...(n.watchdog ?? {}) };
    const device = (host.process('watchdog') as WatchdogDevice | undefined) ?? new WatchdogDevice(host, wd.device ?? true, n.name, wd.driver !== 'testing');
    device.start('kernel module loaded');
    const local: PatroniLocalConfig = {
      name: n.name,
      scope,
      namespace,
      bootstrapDcs: cloneConfig(bootstrapDcs),
      postgresql: { ...(spec.postgresql ?? {}), ...(n.postgresql ?? {}) },
      tags: { ...(n.tags ?? {}) },
      watchdog: { mode: wd.mode ?? 'automatic', safety_margin: wd.safety_margin ?? 5 },
    };
    const endpoints = n.dcsEndpoints;
    const agent = new PatroniAgent(host, local, {
      server: pgServers(world.sim).get(n.name) as PgServerImpl,
      dcsClient: (proc, memberName, timing) => deployment.client(proc, memberName, timing, endpoints ? { endpoints } : undefined),
      device,
      pgLookup: (h) => pgServers(world.sim).get(h)?.postmaster ?? null,
    });
    return { name: n.name, host, agent, server: pgServers(world.sim).get(n.name) as PgServerImpl, device, spec: n };
  });

  const built: BuiltCluster = {
    scope,
    namespace,
    spec,
    nodes,
    dcs: deployment,
    standbyClusters: [],
    node(name: string): BuiltNode {
      const n = nodes.find((x) => x.name === name);
      if (!n) throw new Error(`cluster ${scope} has no node ${name}`);
      return n;
    },
    leaderHolder: () => deployment.leaderHolder(scope),
  };

  registerClusterForCtl(world, {
    scope,
    dcs: deployment,
    dynamic: bootstrapDcs,
    defaultFrom: (spec.nodes[0] as NodeSpec).name,
    agents: new Map(nodes.map((n) => [n.name, n.agent])),
  });

  if (spec.emitRunStart ?? true) {
    const effective = cloneConfig(bootstrapDcs);
    validateAndAdjustTimeouts(effective);
    const hosts = world.net.hosts.map((h) => ({ name: h.name, domains: [...h.domains] }));
    const nodeInfo: Record<string, { tags?: Record<string, unknown>; watchdog?: 'off' | 'automatic' | 'required'; store?: string }> = {};
    const stores: { name: string; backend: DcsBackendKind; members: string[]; memberHosts: string[] }[] = [];
    // this cluster and its standby clusters, each with its own store (or one it shares)
    for (const c of [spec, ...(spec.standbyClusters ?? [])]) {
      const store = c.dcs.shared ?? c.dcs.store ?? c.dcs.backend;
      if (!stores.some((x) => x.name === store)) {
        stores.push({ name: store, backend: c.dcs.backend, members: c.dcs.members.map((m) => m.name), memberHosts: c.dcs.members.map((m) => m.host ?? m.name) });
      }
      for (const n of c.nodes) {
        const mode = n.watchdog?.mode ?? c.watchdog?.mode ?? 'automatic';
        nodeInfo[n.name] = { tags: { ...(n.tags ?? {}) }, watchdog: mode, store };
      }
    }
    world.sim.trace.emit('run.start', {
      scenario: spec.scenario ?? scope,
      seed: opts.seed ?? world.sim.seed,
      pgNodes: spec.nodes.map((n) => n.name),
      dcs: { backend: spec.dcs.backend, members: spec.dcs.members.map((m) => m.name), memberHosts: spec.dcs.members.map((m) => m.host ?? m.name) },
      clients: [],
      hosts,
      patroni: { ttl: 30, loop_wait: 10, retry_timeout: 10, ...effective },
      nodes: nodeInfo,
      stores,
    });
  }

  if (startDcs) deployment.start();
  for (const n of nodes) {
    if (n.spec.startStopped) continue;
    const at = n.spec.startAtUs ?? 0;
    if (at <= world.sim.nowUs) n.agent.start('patroni started');
    else world.sim.at(at, () => n.agent.start('patroni started'));
  }

  for (const sc of spec.standbyClusters ?? []) {
    built.standbyClusters.push(buildCluster(world, { ...sc, emitRunStart: false }, opts));
  }
  return built;
}
