// Deploying a ZooKeeper ensemble and the kazoo-based client Patroni uses.
import type { Process } from '../../host/process.js';
import type { World } from '../../world.js';
import type { DcsTiming } from '../abstract.js';
import { placeServers, type DcsBackendDefinition, type DcsClientOptions, type DcsDeploySpec, type DcsDeployment } from '../backend.js';
import { clusterPrefix, KEYS } from '../raft/kvcluster.js';
import { registerDcsOutage } from '../raft/outage.js';
import { QuorumStoreRecorder, recordRaftQuorum } from '../raft/records.js';
import { ZooKeeper } from './client.js';
import { ZkServer, zkRaftTiming, type ZkEnsembleContext } from './server.js';

export interface ZooKeeperOptions {
  /** tickTime, ms (default 2000). */
  tickTimeMs?: number;
  /** syncLimit, ticks (default 5). */
  syncLimit?: number;
}

export class ZooKeeperDeployment implements DcsDeployment {
  readonly kind = 'zookeeper' as const;
  readonly store: string;
  readonly members: ZkServer[] = [];
  readonly recorder: QuorumStoreRecorder;
  private readonly sessions = new Map<number, ZooKeeper>();
  private readonly prefix: string;

  constructor(
    readonly world: World,
    readonly spec: DcsDeploySpec,
  ) {
    this.store = spec.store;
    const opts = spec.options as ZooKeeperOptions;
    this.recorder = new QuorumStoreRecorder(world.sim, spec.store);
    this.prefix = clusterPrefix(spec.namespace, spec.scope);
    const members = this.members;
    const recorder = this.recorder;
    const sessions = this.sessions;
    const tickTimeMs = opts.tickTimeMs ?? 2000;
    const ctx: ZkEnsembleContext = {
      store: spec.store,
      leaderKeys: new Set([this.prefix + KEYS.leader]),
      recorder,
      timing: zkRaftTiming(tickTimeMs, opts.syncLimit ?? 5),
      tickTimeMs,
      servers: () => members,
      roleChanged: () => recordRaftQuorum(recorder, members),
      watchTarget: (id) => {
        const c = sessions.get(id);
        return c && c.sessionId === id ? { sessionId: id, proc: c.proc, fire: (p: string) => c.fire(p) } : undefined;
      },
    };
    members.push(...placeServers(world, spec.members, (host, name, i) => new ZkServer(host, name, i, ctx)));
    registerDcsOutage(world, this);
  }

  get servers(): readonly Process[] {
    return this.members;
  }

  start(): void {
    for (const m of this.members) m.start('zookeeper started');
  }

  client(proc: Process, memberName: string, timing: DcsTiming, opts?: DcsClientOptions): ZooKeeper {
    const servers = opts?.endpoints ? this.members.filter((m) => opts.endpoints?.includes(m.host.name) || opts.endpoints?.includes(m.name)) : this.members;
    return new ZooKeeper(proc, memberName, timing, servers, this.prefix, (id, c) => this.sessions.set(id, c));
  }

  leaderHolder(scope: string): string | null {
    const key = clusterPrefix(this.spec.namespace, scope) + KEYS.leader;
    let best: ZkServer | null = null;
    for (const m of this.members) if (m.raft && (best === null || m.raft.appliedIndex > (best.raft?.appliedIndex ?? -1))) best = m;
    return best?.tree.nodes.get(key)?.data ?? null;
  }

  raftLeader(): ZkServer | null {
    let best: ZkServer | null = null;
    for (const m of this.members) if (m.alive && m.raft?.isLeader && (best === null || m.raft.term > (best.raft?.term ?? 0))) best = m;
    return best;
  }
}

export const zookeeperBackend: DcsBackendDefinition = {
  kind: 'zookeeper',
  summary: 'ZooKeeper: quorum ensemble, sessions expired by the leader, ephemeral leader znode, connection loss vs session expiry',
  defaultMembers: 3,
  deploy: (world, spec) => new ZooKeeperDeployment(world, spec),
};
