// The pool: results in job order whatever thread ran them, identical to running in this thread,
// and `stopAfter` runs every job before the first stopping one; shards split deterministically.
import { describe, expect, it } from 'vitest';
import { runJobs } from '../../src/parallel/pool.js';
import { inShard, parseShard, ShardError } from '../../src/parallel/shard.js';
import type { SweepJob } from '../../src/sweep/run.js';

const tiny = (seed: number): SweepJob => ({
  kind: 'sweep',
  point: 0,
  replicate: seed,
  file: 'tiny.yaml',
  text: `covers: [D1]\nseed: ${seed}\ndcs: { backend: etcd }\npatroni: { nodes: 2 }\nphases: { warmup: 15s, chaos: 1s, converge: 1s }\n`,
});

describe('runJobs', () => {
  const jobs = [1, 2, 3, 4, 5].map(tiny);

  it('returns results in job order, the same on two threads as in this one', async () => {
    const here = await runJobs(jobs, { workers: 1 });
    const threads = await runJobs(jobs, { workers: 2 });
    expect(here.map((r) => r?.replicate)).toEqual([1, 2, 3, 4, 5]);
    expect(JSON.stringify(threads)).toBe(JSON.stringify(here));
    expect(new Set(here.map((r) => r?.traceHash)).size).toBe(5);
  });

  it('stops after the first stopping result, having run every job before it', async () => {
    const here = await runJobs(jobs, { workers: 1, stopAfter: (_, i) => i === 1 });
    expect(here.map((r) => r !== undefined)).toEqual([true, true, false, false, false]);
    const threads = await runJobs(jobs, { workers: 2, stopAfter: (_, i) => i === 1 });
    expect(threads.slice(0, 2).every((r) => r !== undefined)).toBe(true);
  });

  it('reports a failing job as an error', async () => {
    const bad: SweepJob = { ...tiny(1), text: 'dcs: { backend: nosuch }\n' };
    await expect(runJobs([bad, bad], { workers: 2 })).rejects.toThrow(/worker/);
  });
});

describe('shards', () => {
  it('parse k/n and split indices round-robin', () => {
    expect(parseShard('2/3')).toEqual({ k: 2, n: 3 });
    expect(() => parseShard('0/3')).toThrow(ShardError);
    expect(() => parseShard('x')).toThrow(ShardError);
    const s = { k: 2, n: 3 };
    expect([0, 1, 2, 3, 4, 5, 6].filter((i) => inShard(i, s))).toEqual([1, 4]);
    expect([0, 1, 2].every((i) => inShard(i, undefined))).toBe(true);
  });
});
