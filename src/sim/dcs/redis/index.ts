// Deployment of the Redis store (kind "redis"): Redis servers on the member hosts (members[0] is
// the initial master, the others replicate from it) and Sentinels on their own hosts.
//
// Options:
//   sentinels: string[]         hosts running a Sentinel (default: one next to each Redis server)
//   quorum                      Sentinels that must agree the master is down (default: a majority)
//   downAfterMs (30000)         sentinel down-after-milliseconds
//   failoverTimeoutMs (180000)  sentinel failover-timeout
//   minReplicasToWrite (0)      min-replicas-to-write on every server
//   minReplicasMaxLagS (10)     min-replicas-max-lag
//   persistence ('aof')         'aof' | 'rdb' | 'none'
//   sentinelTimeoutMs (500)     the client's socket timeout towards Sentinels
//   requestTimeoutMs            the client's per-command timeout (default max(1 s, retry_timeout / 3))
// Fault: `redis-failover` { store? } — SENTINEL FAILOVER on the first running Sentinel.
import type { Process } from '../../host/process.js';
import type { World } from '../../world.js';
import type { AbstractDCS, DcsTiming } from '../abstract.js';
import type { DcsBackendDefinition, DcsClientOptions, DcsDeployment, DcsDeploySpec } from '../backend.js';
import { DcsConfigurationError, numberOption, rejectUnknownOptions, stringOption } from '../memory/errors.js';
import { basePath, KEY } from '../memory/keys.js';
import { pickTarget, registerOnce, storeTargets } from '../memory/storeTargets.js';
import { RedisDCS } from './client.js';
import { Sentinel } from './sentinel.js';
import { RedisServer, type Persistence } from './server.js';

const KIND = 'redis' as const;

declare module '../../faults/nemesis.js' {
  interface FaultActionMap {
    /** An operator runs SENTINEL FAILOVER: promote a replica now, without agreement and without waiting for it to catch up. */
    'redis-failover': { store?: string };
  }
}

const KNOWN = ['sentinels', 'quorum', 'downAfterMs', 'failoverTimeoutMs', 'minReplicasToWrite', 'minReplicasMaxLagS', 'persistence', 'sentinelTimeoutMs', 'requestTimeoutMs'];

class RedisDeployment implements DcsDeployment {
  readonly kind = KIND;
  readonly servers: readonly Process[];
  readonly redis: readonly RedisServer[];
  readonly sentinels: readonly Sentinel[];
  private readonly byMember = new Map<string, RedisServer>();
  private readonly sentinelTimeoutMs: number;
  private readonly requestTimeoutMs: number | undefined;
  private lastHealth = '';

  constructor(
    private readonly world: World,
    private readonly spec: DcsDeploySpec,
  ) {
    const o = spec.options;
    rejectUnknownOptions(KIND, o, KNOWN);
    if (spec.members.length < 1) throw new DcsConfigurationError(KIND, 'needs at least one Redis server member');
    // default: a Sentinel next to every Redis server (the "three boxes" layout of the Sentinel docs)
    const sentinelHosts = o.sentinels ?? spec.members.map((m) => m.host);
    if (!Array.isArray(sentinelHosts) || sentinelHosts.length === 0 || !sentinelHosts.every((h) => typeof h === 'string')) {
      throw new DcsConfigurationError(KIND, 'option sentinels must list the hosts that run a Sentinel (e.g. ["s1", "s2", "s3"])');
    }
    const hosts = sentinelHosts as string[];
    for (const h of hosts) {
      if (!world.net.hasHost(h)) throw new DcsConfigurationError(KIND, `Sentinel host "${h}" does not exist`);
    }
    const quorum = numberOption(KIND, o, 'quorum', Math.floor(hosts.length / 2) + 1);
    if (quorum < 1 || quorum > hosts.length) throw new DcsConfigurationError(KIND, `quorum must be between 1 and ${hosts.length}`);
    const downAfterMs = numberOption(KIND, o, 'downAfterMs', 30_000);
    const failoverTimeoutMs = numberOption(KIND, o, 'failoverTimeoutMs', 180_000);
    const persistence = stringOption<Persistence>(KIND, o, 'persistence', ['aof', 'rdb', 'none'], 'aof');
    this.sentinelTimeoutMs = numberOption(KIND, o, 'sentinelTimeoutMs', 500);
    this.requestTimeoutMs = o.requestTimeoutMs === undefined ? undefined : numberOption(KIND, o, 'requestTimeoutMs', 0);
    const lookup = (m: string): RedisServer | undefined => this.byMember.get(m);
    const first = (spec.members[0] as { name: string }).name;
    const sentinels: Sentinel[] = [];
    this.redis = spec.members.map(
      (m, i) =>
        new RedisServer(world.net.host(m.host), {
          store: spec.store,
          member: m.name,
          replicaOf: i === 0 ? null : first,
          persistence,
          minReplicasToWrite: numberOption(KIND, o, 'minReplicasToWrite', 0),
          minReplicasMaxLagS: numberOption(KIND, o, 'minReplicasMaxLagS', 10),
          replicaPriority: 100,
          lookup,
          sentinels: () => sentinels,
        }),
    );
    for (const r of this.redis) this.byMember.set(r.member, r);
    const instances = this.redis.map((r) => r.member);
    for (const h of hosts) {
      sentinels.push(
        new Sentinel(world.net.host(h), {
          store: spec.store,
          name: `sentinel-${h}`,
          instances,
          initialMaster: first,
          quorum,
          downAfterMs,
          failoverTimeoutMs,
          lookup,
          peers: () => sentinels,
          onEvent: (e) => this.onSentinelEvent(e),
        }),
      );
    }
    this.sentinels = sentinels;
    this.servers = [...this.redis, ...sentinels];
    for (const p of this.servers) p.host.onBoot(() => p.start('started at boot'));
    const targets = storeTargets<RedisDeployment>(world, KIND);
    targets.set(spec.store, this);
    registerOnce(world.nemesis, 'redis-failover', () =>
      world.nemesis.register('redis-failover', {
        apply: (a) => {
          pickTarget(targets, KIND, a.store).manualFailover();
          return undefined;
        },
        describe: (a) => `SENTINEL FAILOVER${a.store ? ` (${a.store})` : ''}`,
      }),
    );
  }

  get store(): string {
    return this.spec.store;
  }

  start(): void {
    for (const p of this.servers) p.start('store started');
    this.emitHealth(true, (this.redis[0] as RedisServer).member, 0);
  }

  client(proc: Process, memberName: string, timing: DcsTiming, opts?: DcsClientOptions): AbstractDCS {
    let order: Sentinel[] = [...this.sentinels];
    if (opts?.endpoints) {
      // endpoints name Sentinels (by host or name), or Redis servers that have a Sentinel on their host
      order = opts.endpoints.map((h) => {
        const server = this.byMember.get(h);
        const host = server ? server.host.name : h;
        const s = this.sentinels.find((x) => x.host.name === host || x.sentinelName === h);
        if (!s) throw new DcsConfigurationError(KIND, `endpoint ${h} is not a Sentinel (nor a Redis server with a Sentinel on its host) of store ${this.spec.store}`);
        return s;
      });
    }
    return new RedisDCS(
      proc,
      memberName,
      timing,
      this.spec.store,
      this.spec.scope,
      this.spec.namespace,
      order,
      (m) => this.byMember.get(m),
      this.sentinelTimeoutMs,
      this.requestTimeoutMs,
    );
  }

  /** The holder of the key on the master named by the newest Sentinel configuration. */
  leaderHolder(scope: string): string | null {
    const key = basePath(this.spec.namespace, scope) + KEY.leader;
    const views = this.sentinels.filter((s) => s.alive).map((s) => s.view);
    views.sort((a, b) => b.configEpoch - a.configEpoch);
    const master = views[0] ? this.byMember.get(views[0].master) : undefined;
    if (!master || !master.alive || master.role !== 'master') return null;
    const v = master.data.get(key);
    if (!v || (v.expireAtWallUs !== null && master.wallUs() >= v.expireAtWallUs)) return null;
    return v.value;
  }

  /** SENTINEL FAILOVER on the first running Sentinel. */
  manualFailover(): { ok: boolean; error?: string } {
    const s = this.sentinels.find((x) => x.running);
    if (!s) return { ok: false, error: 'no Sentinel running' };
    return s.manualFailover();
  }

  private onSentinelEvent(e: { kind: 'odown' | 'switch'; master: string; epoch: number }): void {
    if (e.kind === 'odown') this.emitHealth(false, null, e.epoch, `odown|${e.master}`);
    else this.emitHealth(true, e.master, e.epoch);
  }

  private emitHealth(ok: boolean, leader: string | null, term: number, dedupe = `${ok}|${leader}|${term}`): void {
    const key = dedupe;
    if (key === this.lastHealth) return;
    this.lastHealth = key;
    this.world.sim.trace.emit('dcs.quorum', { store: this.spec.store, ok, leader, term });
  }
}

export const redisBackend: DcsBackendDefinition = {
  kind: KIND,
  summary: 'a Redis master with asynchronous replicas and Sentinel failover; lock = SET NX PX judged by the master clock: it can lose the lock or grant it twice',
  defaultMembers: 3,
  deploy(world: World, spec: DcsDeploySpec): DcsDeployment {
    return new RedisDeployment(world, spec);
  },
};
