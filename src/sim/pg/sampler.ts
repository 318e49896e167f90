// Periodic `pg.lsn` samples of every node's WAL positions, for lanes and lag charts. An observer,
// not a model: it reads ground truth on the kernel's clock and changes nothing (so it is not a
// `Process` — a paused server is still sampled, showing its positions frozen).
import type { Sim } from '../kernel/sim.js';
import { pgServers } from './server.js';

export interface LsnSamplerOptions {
  /** Sampling interval in true microseconds (default 1 s). */
  intervalUs?: number;
}

/** Start sampling; returns a function that stops it. */
export function startLsnSampler(sim: Sim, opts: LsnSamplerOptions = {}): () => void {
  const intervalUs = opts.intervalUs ?? 1_000_000;
  let stopped = false;
  const tick = (): void => {
    if (stopped) return;
    const servers = [...pgServers(sim).values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const s of servers) {
      const pm = s.postmaster;
      if (!pm.alive || !s.dd.valid || pm.phase !== 'running') continue;
      if (pm.inRecovery) {
        sim.trace.emit('pg.lsn', { node: s.name, flushLsn: s.dd.flushLsn, receiveLsn: s.dd.walEndLsn, replayLsn: pm.replayLsn });
      } else {
        sim.trace.emit('pg.lsn', { node: s.name, flushLsn: s.dd.flushLsn });
      }
    }
    sim.schedule(intervalUs, tick);
  };
  sim.schedule(intervalUs, tick);
  return () => {
    stopped = true;
  };
}
