// A world for the Redis store: three data centres, each with a Redis server, a Sentinel and a
// Patroni node (dc1: redis1, s1, pg1; dc2: redis2, s2, pg2; dc3: redis3, s3, pg3).
import { World } from '../../../src/sim/world.js';
import { redisBackend } from '../../../src/sim/dcs/redis/index.js';
import type { DcsDeployment } from '../../../src/sim/dcs/backend.js';
import { LockAgent, PATRONI_DEFAULTS } from '../memory/harness.js';

export function redisWorld(seed: string, opts: { messages?: boolean } = {}): World {
  const w = new World({ seed, trace: { keep: true, messages: opts.messages ?? false } });
  for (const dc of [1, 2, 3]) {
    for (const [i, name] of [`redis${dc}`, `s${dc}`, `pg${dc}`].entries()) {
      w.addHost({ name, domains: ['eu', `dc${dc}`, `room${dc}`, `rack${dc}${i}`], bootUs: 1_000_000 });
    }
  }
  return w;
}

export function deployRedis(w: World, options: Record<string, unknown> = {}): DcsDeployment {
  const dep = redisBackend.deploy(w, {
    scope: 'demo',
    namespace: 'service',
    members: [1, 2, 3].map((i) => ({ name: `redis${i}`, host: `redis${i}` })),
    options: { sentinels: ['s1', 's2', 's3'], ...options },
    store: 'redis',
  });
  dep.start();
  return dep;
}

/** Patroni stand-ins on pg1..pg3, each asking its own DC's Sentinel first. */
export function redisAgents(w: World, dep: DcsDeployment, startUs: number[] = [0, 1_000_000, 2_000_000], useWatch = true): LockAgent[] {
  return startUs.map((at, i) => {
    const name = `pg${i + 1}`;
    const order = [`s${i + 1}`, ...['s1', 's2', 's3'].filter((s) => s !== `s${i + 1}`)];
    const a = new LockAgent(w.net.host(name), 'patroni', {
      ...dep,
      kind: dep.kind,
      store: dep.store,
      servers: dep.servers,
      start: () => dep.start(),
      leaderHolder: (s: string) => dep.leaderHolder(s),
      client: (proc, member, timing) => dep.client(proc, member, timing, { endpoints: order }),
    }, PATRONI_DEFAULTS, useWatch);
    w.sim.schedule(at, () => a.start());
    return a;
  });
}
