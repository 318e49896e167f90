// Deploying Kubernetes as Patroni sees it: an etcd cluster on the member hosts and a
// kube-apiserver on each of them in front of it; Patroni talks to the API servers only.
import type { Process } from '../../host/process.js';
import type { World } from '../../world.js';
import type { DcsTiming } from '../abstract.js';
import type { DcsBackendDefinition, DcsClientOptions, DcsDeploySpec, DcsDeployment } from '../backend.js';
import { etcdRaftTiming, type EtcdOptions } from '../etcd/deploy.js';
import { EtcdMember, type EtcdClusterContext } from '../etcd/server.js';
import { registerDcsOutage } from '../raft/outage.js';
import { QuorumStoreRecorder, recordRaftQuorum } from '../raft/records.js';
import { KubeApiServer, type K8sObject } from './apiserver.js';
import { Kubernetes } from './client.js';

export class KubernetesDeployment implements DcsDeployment {
  readonly kind = 'kubernetes' as const;
  readonly store: string;
  readonly etcd: EtcdMember[] = [];
  readonly apiServers: KubeApiServer[] = [];
  readonly recorder: QuorumStoreRecorder;

  constructor(
    readonly world: World,
    readonly spec: DcsDeploySpec,
  ) {
    this.store = spec.store;
    this.recorder = new QuorumStoreRecorder(world.sim, spec.store);
    const etcd = this.etcd;
    const recorder = this.recorder;
    const leaderKey = `/registry/configmap/${spec.scope}-leader`;
    const ctx: EtcdClusterContext = {
      store: spec.store,
      leaderKeys: new Set([leaderKey]),
      recorder,
      timing: etcdRaftTiming(spec.options as EtcdOptions),
      members: () => etcd,
      roleChanged: () => recordRaftQuorum(recorder, etcd),
      decodeLeader: (value) => {
        const o = JSON.parse(value) as K8sObject;
        return { holder: o.annotations.leader ?? null, ttlS: Number(o.annotations.ttl ?? 30) };
      },
    };
    spec.members.forEach((ms, i) => {
      const host = world.net.host(ms.host);
      const m = new EtcdMember(host, `${ms.name}-etcd`, i, ctx);
      etcd.push(m);
      const a = new KubeApiServer(host, `${ms.name}-apiserver`, () => etcd);
      this.apiServers.push(a);
      host.onBoot(() => {
        m.start('started at boot');
        a.start('started at boot');
      });
    });
    registerDcsOutage(world, this);
  }

  get servers(): readonly Process[] {
    return [...this.apiServers, ...this.etcd];
  }

  start(): void {
    for (const m of this.etcd) m.start('etcd started');
    for (const a of this.apiServers) a.start('kube-apiserver started');
  }

  client(proc: Process, memberName: string, timing: DcsTiming, opts?: DcsClientOptions): Kubernetes {
    const servers = opts?.endpoints ? this.apiServers.filter((a) => opts.endpoints?.includes(a.host.name)) : this.apiServers;
    return new Kubernetes(proc, memberName, timing, servers, this.spec.scope);
  }

  leaderHolder(scope: string): string | null {
    let best: EtcdMember | null = null;
    for (const m of this.etcd) if (m.raft && (best === null || m.raft.appliedIndex > (best.raft?.appliedIndex ?? -1))) best = m;
    const kv = best?.mvcc.kvs.get(`/registry/configmap/${scope}-leader`);
    if (!kv) return null;
    return (JSON.parse(kv.value) as K8sObject).annotations.leader ?? null;
  }
}

export const kubernetesBackend: DcsBackendDefinition = {
  kind: 'kubernetes',
  summary: 'Kubernetes: API servers in front of etcd, leader ConfigMap CAS on resourceVersion, TTL judged by each observer from its own observation time',
  defaultMembers: 3,
  deploy: (world, spec) => new KubernetesDeployment(world, spec),
};
