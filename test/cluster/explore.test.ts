import { it } from 'vitest';
import { testCluster } from './helpers.js';
const SHOW = ['patroni.cycle','patroni.warning','sim.bug','pg.state','pg.promote','pg.replication','patroni.lifecycle','dcs.leader','host.power','patroni.watchdog','patroni.operation','pg.rewind','patroni.rewind','fault'];
it('explore', () => {
  const t = testCluster({ seed: process.env.SEED ?? 'x', dcs: JSON.parse(process.env.DCS ?? '{}'), spec: { watchdog: { mode: (process.env.WD ?? 'off') as 'off' } } });
  t.run(40);
  const leader = t.leader() as string;
  console.log('leader', leader);
  t.w.nemesis.apply({ kind: process.env.KIND as 'pause' ?? 'crash', process: `${leader}/${process.env.PROC ?? 'postgres'}` }, 'kill', process.env.DUR ? Number(process.env.DUR) * 1e6 : undefined);
  const start = t.w.sim.nowUs;
  t.run(Number(process.env.SECS ?? 60));
  for (const r of t.records) {
    if (r.t >= start - 1e6 && SHOW.includes(r.k)) console.log((r.t/1e6).toFixed(3), r.k, JSON.stringify(r).slice(0, 230));
  }
  console.log('leader', t.leader(), 'primaries', t.primaries());
});
