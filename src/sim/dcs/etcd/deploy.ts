// Deploying an etcd cluster (v3 API) into a world, and the client Patroni links against it.
import type { Process } from '../../host/process.js';
import type { World } from '../../world.js';
import type { DcsTiming } from '../abstract.js';
import { placeServers, type DcsBackendDefinition, type DcsClientOptions, type DcsDeploySpec, type DcsDeployment } from '../backend.js';
import type { RaftTiming } from '../raft/core.js';
import { clusterPrefix, KEYS } from '../raft/kvcluster.js';
import { registerDcsOutage } from '../raft/outage.js';
import { QuorumStoreRecorder, recordRaftQuorum } from '../raft/records.js';
import { Etcd3 } from './client3.js';
import { Etcd2 } from './client2.js';
import type { AbstractDCS } from '../abstract.js';
import { EtcdMember, type EtcdClusterContext } from './server.js';

export interface EtcdOptions {
  /** --heartbeat-interval, ms (default 100). */
  heartbeatMs?: number;
  /** --election-timeout, ms (default 1000). */
  electionMs?: number;
  /** --pre-vote (default true since etcd 3.5). */
  preVote?: boolean;
}

/** etcd's raft settings from its flags (etcdserver/raft.go: ElectionTick, HeartbeatTick, CheckQuorum: true). */
export function etcdRaftTiming(o: EtcdOptions): RaftTiming {
  const hb = o.heartbeatMs ?? 100;
  const el = o.electionMs ?? 1000;
  const electionTicks = Math.max(1, Math.round(el / hb));
  return {
    tickUs: hb * 1000,
    heartbeatTicks: 1,
    electionTicks,
    randomTicks: electionTicks,
    checkQuorumTicks: electionTicks,
    preVote: o.preVote ?? true,
    checkQuorum: true,
  };
}

export class EtcdDeployment implements DcsDeployment {
  readonly kind: 'etcd' | 'etcd2';
  readonly store: string;
  readonly members: EtcdMember[] = [];
  readonly recorder: QuorumStoreRecorder;
  private readonly prefix: string;

  constructor(
    readonly world: World,
    readonly spec: DcsDeploySpec,
    /** Which API Patroni uses: v3 (`etcd3:` section) or v2 (`etcd:` section). */
    readonly api: 'v3' | 'v2' = 'v3',
  ) {
    this.kind = api === 'v3' ? 'etcd' : 'etcd2';
    this.store = spec.store;
    this.recorder = new QuorumStoreRecorder(world.sim, spec.store);
    this.prefix = clusterPrefix(spec.namespace, spec.scope);
    const opts = spec.options as EtcdOptions;
    const members = this.members;
    const recorder = this.recorder;
    const ctx: EtcdClusterContext = {
      store: spec.store,
      leaderKeys: new Set([this.prefix + KEYS.leader]),
      recorder,
      timing: etcdRaftTiming(opts),
      members: () => members,
      roleChanged: () => recordRaftQuorum(recorder, members),
    };
    members.push(...placeServers(world, spec.members, (host, name, i) => new EtcdMember(host, name, i, ctx)));
    registerDcsOutage(world, this);
  }

  get servers(): readonly Process[] {
    return this.members;
  }

  start(): void {
    for (const m of this.members) m.start('etcd started');
  }

  client(proc: Process, memberName: string, timing: DcsTiming, opts?: DcsClientOptions): AbstractDCS {
    if (this.api === 'v2') return new Etcd2(proc, memberName, timing, this.endpoints(opts), this.prefix);
    return new Etcd3(proc, memberName, timing, this.endpoints(opts), this.prefix);
  }

  endpoints(opts?: DcsClientOptions): EtcdMember[] {
    if (!opts?.endpoints) return this.members;
    return opts.endpoints.map((h) => {
      const m = this.members.find((x) => x.host.name === h || x.name === h);
      if (!m) throw new Error(`etcd endpoint "${h}" is not a member of store ${this.store}`);
      return m;
    });
  }

  /** The member whose applied state is the most recent (ground truth of the committed key space). */
  private freshest(): EtcdMember | null {
    let best: EtcdMember | null = null;
    for (const m of this.members) {
      if (!m.raft) continue;
      if (best === null || (m.raft.appliedIndex > (best.raft?.appliedIndex ?? -1))) best = m;
    }
    return best;
  }

  leaderHolder(scope: string): string | null {
    const key = clusterPrefix(this.spec.namespace, scope) + KEYS.leader;
    const m = this.freshest();
    if (!m) return null;
    return this.api === 'v2' ? (m.v2.nodes.get(key)?.value ?? null) : (m.mvcc.kvs.get(key)?.value ?? null);
  }

  /** The current raft leader (ground truth for tests). */
  raftLeader(): EtcdMember | null {
    let best: EtcdMember | null = null;
    for (const m of this.members) if (m.alive && m.raft?.isLeader && (best === null || m.raft.term > (best.raft?.term ?? 0))) best = m;
    return best;
  }
}

export const etcdBackend: DcsBackendDefinition = {
  kind: 'etcd',
  summary: 'etcd v3: Raft quorum, leases kept by the etcd leader, CAS transactions, watch-built cache (serializable reads)',
  defaultMembers: 3,
  deploy: (world, spec) => new EtcdDeployment(world, spec),
};

export const etcd2Backend: DcsBackendDefinition = {
  kind: 'etcd2',
  summary: 'etcd v2 API: Raft quorum, key TTLs expired by the leader\'s wall clock, prevValue/prevExist CAS, quorum=false reads',
  defaultMembers: 3,
  deploy: (world, spec) => new EtcdDeployment(world, spec, 'v2'),
};
