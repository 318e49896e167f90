// Deploying Consul: Raft servers on the member hosts, and a Consul agent on every Patroni host
// (created when the first Patroni client on that host is made).
import type { Process } from '../../host/process.js';
import type { World } from '../../world.js';
import type { DcsTiming } from '../abstract.js';
import { placeServers, type DcsBackendDefinition, type DcsClientOptions, type DcsDeploySpec, type DcsDeployment } from '../backend.js';
import { clusterPrefix, KEYS } from '../raft/kvcluster.js';
import { registerDcsOutage } from '../raft/outage.js';
import { QuorumStoreRecorder, recordRaftQuorum } from '../raft/records.js';
import { Consul } from './client.js';
import { ConsulAgent, ConsulServer, consulRaftTiming, type ConsulClusterContext, type Consistency } from './server.js';

export interface ConsulOptions {
  /** performance.raft_multiplier (default 5). */
  raftMultiplier?: number;
  /** Patroni's consul.consistency: default | consistent | stale. */
  consistency?: Consistency;
}

export class ConsulDeployment implements DcsDeployment {
  readonly kind = 'consul' as const;
  readonly store: string;
  readonly members: ConsulServer[] = [];
  readonly agents = new Map<string, ConsulAgent>();
  readonly recorder: QuorumStoreRecorder;
  private readonly prefix: string;
  private readonly opts: ConsulOptions;

  constructor(
    readonly world: World,
    readonly spec: DcsDeploySpec,
  ) {
    this.store = spec.store;
    this.opts = spec.options as ConsulOptions;
    this.recorder = new QuorumStoreRecorder(world.sim, spec.store);
    // Consul keys have no leading slash (Consul._base_path = self._base_path[1:])
    this.prefix = clusterPrefix(spec.namespace, spec.scope).slice(1);
    const members = this.members;
    const recorder = this.recorder;
    const ctx: ConsulClusterContext = {
      store: spec.store,
      leaderKeys: new Set([this.prefix + KEYS.leader]),
      recorder,
      timing: consulRaftTiming(this.opts.raftMultiplier ?? 5),
      servers: () => members,
      roleChanged: () => recordRaftQuorum(recorder, members),
    };
    members.push(...placeServers(world, spec.members, (host, name, i) => new ConsulServer(host, name, i, ctx)));
    registerDcsOutage(world, this);
  }

  get servers(): readonly Process[] {
    return this.members;
  }

  start(): void {
    for (const m of this.members) m.start('consul server started');
  }

  /** The agent on a host (started with the host, restarted at boot). */
  agentOn(proc: Process): ConsulAgent {
    const h = proc.host;
    let a = this.agents.get(h.name);
    if (!a) {
      const existing = h.process('consul-agent');
      a = existing instanceof ConsulAgent ? existing : new ConsulAgent(h, 'consul-agent', () => this.members);
      this.agents.set(h.name, a);
      const agent = a;
      h.onBoot(() => agent.start('started at boot'));
      agent.start('consul agent started');
    }
    return a;
  }

  client(proc: Process, memberName: string, timing: DcsTiming, _opts?: DcsClientOptions): Consul {
    return new Consul(proc, memberName, timing, this.agentOn(proc), this.prefix, this.spec.scope, this.opts.consistency ?? 'default');
  }

  leaderHolder(scope: string): string | null {
    const key = clusterPrefix(this.spec.namespace, scope).slice(1) + KEYS.leader;
    let best: ConsulServer | null = null;
    for (const m of this.members) if (m.raft && (best === null || m.raft.appliedIndex > (best.raft?.appliedIndex ?? -1))) best = m;
    const e = best?.fsm.kv.get(key);
    return e && e.session !== null ? e.value : null;
  }

  raftLeader(): ConsulServer | null {
    let best: ConsulServer | null = null;
    for (const m of this.members) if (m.alive && m.raft?.isLeader && (best === null || m.raft.term > (best.raft?.term ?? 0))) best = m;
    return best;
  }
}

export const consulBackend: DcsBackendDefinition = {
  kind: 'consul',
  summary: 'Consul: Raft servers behind a local agent, sessions invalidated 2×(ttl/2) after the last renewal by the leader, consistency modes',
  defaultMembers: 3,
  deploy: (world, spec) => new ConsulDeployment(world, spec),
};
