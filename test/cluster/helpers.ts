// Fixtures for cluster-level tests: a world with a Patroni cluster on etcd and the real PostgreSQL
// model, plus small readers of ground truth and of the trace.
import { World } from '../../src/sim/world.js';
import { buildCluster, type BuiltCluster } from '../../src/sim/cluster/build.js';
import type { ClusterSpec, NodeSpec } from '../../src/sim/cluster/spec.js';
import { etcdBackend } from '../../src/sim/dcs/etcd/deploy.js';
import type { DynamicConfig } from '../../src/sim/patroni/config.js';
import type { TraceRecord } from '../../src/sim/kernel/trace.js';
import { sToUs } from '../../src/sim/kernel/time.js';

export interface ClusterOpts {
  seed?: string;
  nodes?: number | NodeSpec[];
  dcs?: DynamicConfig;
  spec?: Partial<ClusterSpec>;
}

export interface TestCluster {
  w: World;
  c: BuiltCluster;
  records: TraceRecord[];
  run(seconds: number): void;
  /** Run until `pred` holds (checked after every event) or `seconds` pass; returns the time it held (s) or null. */
  until(pred: () => boolean, seconds: number): number | null;
  primaries(): string[];
  leader(): string | null;
  cycles(node: string): string[];
}

export function nodeSpecs(n: number): NodeSpec[] {
  const racks = ['r1', 'r2', 'r3', 'r4', 'r5'];
  return Array.from({ length: n }, (_, i) => ({ name: `pg${i + 1}`, domains: ['eu', 'dc1', 'room1', racks[i % racks.length] as string], host: { bootUs: 5_000_000 } }));
}

export function testCluster(o: ClusterOpts = {}): TestCluster {
  const w = new World({ seed: o.seed ?? 'cluster', trace: { keep: false } });
  const records: TraceRecord[] = [];
  w.sim.trace.subscribe((r) => records.push(r));
  const nodes = typeof o.nodes === 'object' ? o.nodes : nodeSpecs(o.nodes ?? 3);
  const spec: ClusterSpec = {
    scope: 'batman',
    dcs: {
      backend: 'etcd',
      members: [
        { name: 'etcd1', domains: ['eu', 'dc1', 'room1', 'e1'] },
        { name: 'etcd2', domains: ['eu', 'dc1', 'room1', 'e2'] },
        { name: 'etcd3', domains: ['eu', 'dc1', 'room1', 'e3'] },
      ],
    },
    bootstrap: { dcs: { ttl: 30, loop_wait: 10, retry_timeout: 10, ...(o.dcs ?? {}) } },
    postgresql: { use_pg_rewind: true },
    nodes,
    ...(o.spec ?? {}),
  };
  const c = buildCluster(w, spec, { backend: etcdBackend });
  const t: TestCluster = {
    w,
    c,
    records,
    run(seconds: number): void {
      w.run(w.sim.nowUs + sToUs(seconds));
    },
    until(pred: () => boolean, seconds: number): number | null {
      const end = w.sim.nowUs + sToUs(seconds);
      while (w.sim.nowUs <= end) {
        if (pred()) return w.sim.nowUs / 1e6;
        if (!w.sim.step()) break;
      }
      return pred() ? w.sim.nowUs / 1e6 : null;
    },
    primaries(): string[] {
      return c.nodes.filter((n) => n.server.writable).map((n) => n.name);
    },
    leader(): string | null {
      return c.leaderHolder();
    },
    cycles(node: string): string[] {
      return records.filter((r) => r.k === 'patroni.cycle' && (r as { node: string }).node === node).map((r) => (r as { message: string }).message);
    },
  };
  return t;
}
