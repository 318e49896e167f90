// haywire check end to end: a known-unsafe configuration yields a lost write that shrinks to one
// fault and replays exactly (same trace hash through `haywire run`); a known-safe one yields none;
// the search gives the same report on one thread, on two, and merged from shards.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/cli.js';
import { bufferIo } from '../../src/cli/io.js';
import { check, type CheckReport } from '../../src/explore/check.js';
import { mergeCheckReports } from '../../src/parallel/merge.js';
import { loadScenarioFile } from '../../src/scenarios/load.js';

const tmp = mkdtempSync(join(tmpdir(), 'haywire-check-'));
const unsafe = loadScenarioFile('test/explore/fixtures/unsafe-async.yaml');
const safe = loadScenarioFile('test/explore/fixtures/safe-sync.yaml');
const kinds = { kinds: ['pause', 'isolate', 'crash'] as const, maxFaults: 4 };

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = bufferIo();
  const code = await runCli(argv, io);
  return { code, out: io.stdout, err: io.stderr };
}

describe('haywire check on a known-unsafe cluster (async, no watchdog)', () => {
  const out = join(tmp, 'unsafe-min.yaml');
  let report: CheckReport;

  it('finds a lost write and shrinks it to one fault on the primary', async () => {
    const t0 = performance.now();
    report = await check(unsafe, { runs: 12, seed: 6, until: ['lost-write'], schedule: { ...kinds, kinds: [...kinds.kinds] }, out, shrinkRuns: 40 });
    const f = report.failure;
    expect(f).not.toBeNull();
    if (!f) return;
    expect(f.index).toBe(report.executed - 1);
    expect(f.reasons.some((r) => r.startsWith('lost-write'))).toBe(true);
    expect(f.faults).toHaveLength(1);
    const fault = f.faults[0] as Record<string, unknown>;
    // Patroni frozen on the primary longer than ttl (20 s): without a watchdog, writes acknowledged
    // by the old primary are lost when it is rewound
    expect(fault.kind).toBe('pause');
    expect(String(fault.process)).toMatch(/\/patroni$/);
    expect(fault.at).toBe('20s');
    expect(f.reproduced).toBe(true);
    expect(f.path.startsWith(`${f.index}:`)).toBe(true);
    expect(performance.now() - t0).toBeLessThan(45_000);
  });

  it('writes a scenario that haywire run replays with the same trace hash, failing its expect block', async () => {
    const f = report.failure;
    if (!f) throw new Error('no failure');
    const text = readFileSync(out, 'utf8');
    expect(text).toContain(`fast-check seed 6, path ${f.path}`);
    expect(text).toContain('lostWrites: 0');
    const r = await cli('run', out);
    expect(r.code).toBe(1);
    expect(r.out).toContain(`trace ${f.traceHash}`);
    expect(r.out).toContain('lost-write');
  });

  it('replays the same minimal schedule from its fast-check path', async () => {
    const f = report.failure;
    if (!f) throw new Error('no failure');
    const again = await check(unsafe, { runs: 12, seed: 6, until: ['lost-write'], schedule: { ...kinds, kinds: [...kinds.kinds] }, out: join(tmp, 'unsafe-min.yaml'), path: f.path, shrinkRuns: 5 });
    expect(again.failure?.faults).toEqual(f.faults);
    expect(again.failure?.traceHash).toBe(f.traceHash);
  });
});

describe('haywire check on a known-safe cluster (synchronous_mode, watchdog required)', () => {
  it('finds no lost write and no split-brain under pauses, partitions and crashes', async () => {
    const r = await check(safe, { runs: 10, seed: 1, until: ['lost-write', 'split-brain'], schedule: { ...kinds, kinds: [...kinds.kinds] }, out: join(tmp, 'safe-min.yaml') });
    expect(r.failure).toBeNull();
    expect(r.executed).toBe(10);
    expect(r.coverage.faults).toBeGreaterThan(10);
    expect(r.liveness.converged + r.liveness.legitimateStalls + r.liveness.misjudgments).toBe(10);
  });
});

describe('the search is the same on one thread, on two, and merged from shards', () => {
  it('gives identical JSON', async () => {
    const opts = { runs: 6, seed: 9, until: ['safety' as const], schedule: { ...kinds, kinds: [...kinds.kinds] }, out: join(tmp, 'same.yaml') };
    const one = await check(safe, { ...opts, workers: 1 });
    const two = await check(safe, { ...opts, workers: 2 });
    expect(JSON.stringify(two)).toBe(JSON.stringify(one));
    const s1 = await check(safe, { ...opts, workers: 1, shard: { k: 1, n: 2 } });
    const s2 = await check(safe, { ...opts, workers: 1, shard: { k: 2, n: 2 } });
    expect(s1.results.map((r) => r.index)).toEqual([0, 2, 4]);
    expect(s2.results.map((r) => r.index)).toEqual([1, 3, 5]);
    const merged = mergeCheckReports([s2, s1]);
    expect(merged.missing).toEqual([]);
    expect(JSON.stringify(merged.report)).toBe(JSON.stringify(one));
  });
});

describe('haywire check, the command', () => {
  it('exits 0 when nothing fails and prints the seed and the liveness summary', async () => {
    const r = await cli('check', 'test/explore/fixtures/safe-sync.yaml', '--runs', '2', '--seed', '4', '--workers', '1', '--out', join(tmp, 'c.yaml'), '--coverage');
    expect(r.code).toBe(0);
    expect(r.out).toContain('2 schedules run of 2, fast-check seed 4');
    expect(r.out).toContain('no failure in 2 schedules');
    expect(r.out).toMatch(/liveness: \d+ converged/);
    expect(r.out).toContain('fault / target');
  });

  it('refuses bad options with exit 2', async () => {
    expect((await cli('check', 'test/explore/fixtures/safe-sync.yaml', '--until', 'nonsense')).code).toBe(2);
    expect((await cli('check', 'test/explore/fixtures/safe-sync.yaml', '--kinds', 'isolat')).code).toBe(2);
    expect((await cli('check', 'test/explore/fixtures/safe-sync.yaml', '--shard', '3/2')).code).toBe(2);
    expect((await cli('check', 'no-such-file.yaml')).code).toBe(2);
  });
});
