// The `workload` of a scenario built into a world: writer and reader processes on the client
// hosts, and the router each reaches the database through — HAProxy health-checking Patroni's
// REST API (a sidecar on each client host unless `host` says where it runs), a libpq multi-host
// string, or a VIP moved by vip-manager on every node.
import type { BuiltCluster } from '../sim/cluster/build.js';
import { Haproxy, HaproxyRouter } from '../sim/client/haproxy.js';
import { LibpqRouter, type TargetSessionAttrs } from '../sim/client/libpq.js';
import type { Router } from '../sim/client/router.js';
import { VipManager, VipRouter } from '../sim/client/vip.js';
import { Reader, Writer, type ClientOptions, type RetryPolicy } from '../sim/client/workload.js';
import { timingOf, type DynamicConfig } from '../sim/patroni/config.js';
import type { World } from '../sim/world.js';
import type { ClientPlan } from './build.js';
import type { Scenario, WorkloadDecl } from './types.js';

export interface BuiltClients {
  writers: Writer[];
  readers: Reader[];
  haproxies: Haproxy[];
  vipManagers: VipManager[];
}

/** Patroni's REST health check for what a client wants (`patroni/api.py` endpoints). */
const CHECK_PATH = { primary: '/primary', replica: '/replica', any: '/health' } as const;

function retryPolicy(w: WorkloadDecl): RetryPolicy {
  if (w.retry.attempts === 0) return { kind: 'none' };
  return { kind: 'retry', attempts: w.retry.attempts, backoffMs: w.retry.backoffUs / 1000, multiplier: w.retry.multiplier, retryUnknown: w.retry.retryUnknown };
}

export function buildClients(world: World, s: Scenario, clusters: ReadonlyMap<string, BuiltCluster>, plan: ClientPlan): BuiltClients {
  const out: BuiltClients = { writers: [], readers: [], haproxies: [], vipManagers: [] };
  const haproxyByKey = new Map<string, Haproxy>();

  const haproxyRouter = (w: WorkloadDecl, index: number, clientHost: string, target: keyof typeof CHECK_PATH): Router => {
    if (w.router.kind !== 'haproxy') throw new Error('not an haproxy workload');
    const rt = w.router;
    const host = rt.host ?? clientHost;
    const key = `${host}|${index}|${target}`;
    let hp = haproxyByKey.get(key);
    if (!hp) {
      const cluster = clusters.get(w.cluster) as BuiltCluster;
      const suffix = target === 'primary' ? '' : `-${target}`;
      let procName = `haproxy${suffix}`;
      for (let n = 2; world.net.host(host).process(procName) !== undefined; n++) procName = `haproxy${suffix}-${n}`;
      hp = new Haproxy(
        world.net.host(host),
        {
          name: `${procName}@${host}`,
          backends: cluster.nodes.map((n) => ({ node: n.name })),
          interMs: rt.intervalUs / 1000,
          fall: rt.fall,
          rise: rt.rise,
          timeoutCheckMs: rt.timeoutUs / 1000,
          shutdownSessions: rt.shutdownSessions,
          path: CHECK_PATH[target],
        },
        procName,
      );
      hp.start('haproxy started');
      haproxyByKey.set(key, hp);
      out.haproxies.push(hp);
    }
    return new HaproxyRouter(hp);
  };

  const routers = s.workloads.map((w, index) => {
    const cluster = clusters.get(w.cluster) as BuiltCluster;
    if (w.router.kind === 'libpq') {
      const rt = w.router;
      const make = (attrs: TargetSessionAttrs, suffix: string): LibpqRouter =>
        new LibpqRouter(`libpq${suffix}:${w.cluster}`, { hosts: [...rt.hosts], targetSessionAttrs: attrs, connectTimeoutMs: rt.connectTimeoutUs === null ? null : rt.connectTimeoutUs / 1000 });
      const writes = make(rt.targetSessionAttrs, '');
      const reads = w.readFrom === 'primary' ? writes : make(w.readFrom === 'replica' ? 'prefer-standby' : 'any', '-ro');
      return { writes: (): Router => writes, reads: (): Router => reads };
    }
    if (w.router.kind === 'vip') {
      const rt = w.router;
      const vip = `${w.cluster}-vip`;
      const t = timingOf(cluster.spec.bootstrap?.dcs ?? ({} as DynamicConfig));
      const timing = { ttlMs: t.ttl * 1000, loopWaitMs: t.loop_wait * 1000, retryTimeoutMs: t.retry_timeout * 1000 };
      for (const n of cluster.nodes) {
        const vm = new VipManager(n.host, {
          vip,
          node: n.name,
          intervalMs: rt.intervalUs / 1000,
          configureMs: rt.delayUs / 1000,
          dcs: (proc) => cluster.dcs.client(proc, 'vip-manager', timing),
        });
        vm.start('vip-manager started');
        out.vipManagers.push(vm);
      }
      const r = new VipRouter(vip);
      return { writes: (): Router => r, reads: (): Router => r };
    }
    return {
      writes: (host: string): Router => haproxyRouter(w, index, host, 'primary'),
      reads: (host: string): Router => haproxyRouter(w, index, host, w.readFrom),
    };
  });

  for (const c of plan.clients) {
    const w = s.workloads[c.workload] as WorkloadDecl;
    const r = routers[c.workload] as { writes: (h: string) => Router; reads: (h: string) => Router };
    const opts: ClientOptions = {
      name: c.name,
      router: c.role === 'writer' ? r.writes(c.host) : r.reads(c.host),
      ratePerSec: c.role === 'writer' ? w.writesPerSec : w.readsPerSec,
      arrivals: w.arrivals,
      timeoutMs: w.timeoutUs / 1000,
      retry: c.role === 'writer' ? retryPolicy(w) : { kind: 'none' },
    };
    if (c.role === 'writer') opts.writeBytes = w.writeSizeBytes;
    const host = world.net.host(c.host);
    const proc = c.role === 'writer' ? new Writer(host, opts) : new Reader(host, opts);
    if (proc instanceof Writer) out.writers.push(proc);
    else out.readers.push(proc);
    if (w.startUs <= world.sim.nowUs) proc.start('client started');
    else world.sim.at(w.startUs, () => proc.start('client started'));
  }
  return out;
}
