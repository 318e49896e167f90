// haywire sweep: grid parsing, common random numbers across grid points (same faults, same link
// latencies, same random streams), per-point statistics, identical results on one thread, two,
// and merged from shards, and the table / HTML / command.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/cli.js';
import { bufferIo } from '../../src/cli/io.js';
import { mergeSweepReports } from '../../src/parallel/merge.js';
import { buildScenario } from '../../src/scenarios/build.js';
import { applyOverrides, loadScenarioFile, loadScenarioText } from '../../src/scenarios/load.js';
import type { TraceRecord } from '../../src/sim/kernel/trace.js';
import { GridError, gridPoints, parseGrid, pathOfKey } from '../../src/sweep/grid.js';
import { renderSweepHtml } from '../../src/sweep/html.js';
import { replicateSeed, sweep, sweepJobs } from '../../src/sweep/sweep.js';
import { sweepTable } from '../../src/sweep/table.js';

const tmp = mkdtempSync(join(tmpdir(), 'haywire-sweep-'));
const fixture = 'test/sweep/fixtures/brownout.yaml';
const base = loadScenarioFile(fixture);

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = bufferIo();
  const code = await runCli(argv, io);
  return { code, out: io.stdout, err: io.stderr };
}

describe('grid', () => {
  it('puts Patroni keys under patroni (or the first cluster) and keeps dotted scenario paths', () => {
    expect(pathOfKey('ttl', { patroni: {} })).toBe('patroni.ttl');
    expect(pathOfKey('postgresql.use_pg_rewind', { patroni: {} })).toBe('patroni.postgresql.use_pg_rewind');
    expect(pathOfKey('ttl', { clusters: { dc1: {}, dc2: {} } })).toBe('clusters.dc1.patroni.ttl');
    expect(pathOfKey('workload.rate', { patroni: {} })).toBe('workload.rate');
  });

  it('expands every combination, the first key varying slowest', () => {
    const axes = parseGrid(['ttl=20,30', 'loop_wait=5,10,15'], { patroni: {} });
    const pts = gridPoints(axes);
    expect(pts.map((p) => p.label)).toEqual([
      'ttl=20 loop_wait=5',
      'ttl=20 loop_wait=10',
      'ttl=20 loop_wait=15',
      'ttl=30 loop_wait=5',
      'ttl=30 loop_wait=10',
      'ttl=30 loop_wait=15',
    ]);
    expect(pts[4]?.overrides).toEqual({ 'patroni.ttl': 30, 'patroni.loop_wait': 10 });
    expect(() => parseGrid(['ttl'], {})).toThrow(GridError);
    expect(() => parseGrid(['ttl=1', 'ttl=2'], {})).toThrow(GridError);
  });
});

describe('common random numbers', () => {
  function faultsAndLinks(ttl: number, seed: string): { faults: string[]; rtts: number[]; jitter: number[] } {
    const data = applyOverrides(base.source.data as Record<string, unknown>, { 'patroni.ttl': ttl, seed });
    const l = loadScenarioText(JSON.stringify(data), fixture);
    const records: TraceRecord[] = [];
    const built = buildScenario(l.scenario, { listeners: [(r) => void records.push(r)] });
    built.run();
    const hosts = built.world.net.hosts;
    const rtts = hosts.flatMap((a) => hosts.map((b) => built.world.net.baseRttUs(a, b)));
    // a fresh stream of the same name: the draws a link's messages get, in order
    const jitter = Array.from({ length: 5 }, () => built.world.sim.rng('crn-probe').next());
    const faults = records.filter((r) => r.k === 'fault').map((r) => `${r.t} ${JSON.stringify(r)}`);
    return { faults, rtts, jitter };
  }

  it('gives every grid point the same faults, the same link latencies and the same random streams for one replicate seed', () => {
    const seed = replicateSeed(base.scenario.seed, 0);
    const a = faultsAndLinks(20, seed);
    const b = faultsAndLinks(45, seed);
    expect(a.faults.length).toBeGreaterThan(0);
    expect(b.faults).toEqual(a.faults);
    expect(b.rtts).toEqual(a.rtts);
    expect(b.jitter).toEqual(a.jitter);
    // and another replicate differs
    const c = faultsAndLinks(20, replicateSeed(base.scenario.seed, 1));
    expect(c.rtts).not.toEqual(a.rtts);
  });

  it('uses the same seed (and with random faults, the same schedule) for a replicate at every point', () => {
    const { jobs } = sweepJobs(base, parseGrid(['ttl=20,40'], base.source.data as Record<string, unknown>), { grid: [], seeds: 2, faults: 'random', faultSeed: 3 });
    const faultsOf = (text: string) => loadScenarioText(text, fixture).scenario.faults.map((f) => ({ ...f, path: [] }));
    const byReplicate = (r: number) => jobs.filter((j) => j.replicate === r);
    for (const r of [0, 1]) {
      const [p0, p1] = byReplicate(r);
      expect(loadScenarioText(p0?.text ?? '', fixture).scenario.seed).toBe(replicateSeed(base.scenario.seed, r));
      expect(loadScenarioText(p1?.text ?? '', fixture).scenario.seed).toBe(replicateSeed(base.scenario.seed, r));
      expect(faultsOf(p1?.text ?? '')).toEqual(faultsOf(p0?.text ?? ''));
      expect(loadScenarioText(p1?.text ?? '', fixture).scenario.clusters[0]?.dynamic.ttl).toBe(40);
    }
  });
});

describe('sweep', () => {
  const grid = ['ttl=20,40'];

  it('reports per point, identically on one thread, on two, and merged from shards', async () => {
    const one = await sweep(base, { grid, seeds: 2, workers: 1 });
    expect(one.points).toHaveLength(2);
    expect(one.runs).toHaveLength(4);
    expect(one.points.map((p) => p.effective?.ttl)).toEqual([20, 40]);
    const two = await sweep(base, { grid, seeds: 2, workers: 2 });
    expect(JSON.stringify(two)).toBe(JSON.stringify(one));
    const s1 = await sweep(base, { grid, seeds: 2, workers: 1, shard: { k: 1, n: 2 } });
    const s2 = await sweep(base, { grid, seeds: 2, workers: 1, shard: { k: 2, n: 2 } });
    expect(s1.runs.length + s2.runs.length).toBe(4);
    const merged = mergeSweepReports([s1, s2]);
    expect(JSON.stringify(merged.report)).toBe(JSON.stringify(one));
    // a brownout of 25 s with ttl 20 costs a failover; with ttl 40 the primary rides it out
    const [short, long] = one.points;
    expect(short?.falseFailoverRate ?? 0).toBeGreaterThan(long?.falseFailoverRate ?? 0);
    const table = sweepTable(one);
    expect(table).toMatch(/^POINT\s+TTL\/LW\/RT\s+RUNS/);
    expect(table).toContain('ttl=20');
    const html = renderSweepHtml(one);
    expect(html).toContain('<table class="heat">');
    expect(html).toContain('False-failover rate');
    expect(html).not.toMatch(/<script/);
  });

  it('shows what Patroni made of a timing it adjusts (ttl below 20)', async () => {
    const r = await sweep(base, { grid: ['ttl=10'], seeds: 1, workers: 1 });
    expect(r.points[0]?.effective?.ttl).toBe(20);
    expect(sweepTable(r)).toContain('Patroni adjusted the timing of 1 point');
  });

  it('the command prints the table, writes JSON and HTML, and merges shards', async () => {
    const j1 = join(tmp, 's1.json');
    const j2 = join(tmp, 's2.json');
    const r1 = await cli('sweep', fixture, '--grid', 'ttl=20,40', '--seeds', '1', '--workers', '1', '--shard', '1/2', '--json', j1);
    const r2 = await cli('sweep', fixture, '--grid', 'ttl=20,40', '--seeds', '1', '--workers', '1', '--shard', '2/2', '--json', j2);
    expect(r1.code).toBe(0);
    expect(r2.code).toBe(0);
    const html = join(tmp, 'm.html');
    const m = await cli('merge', j1, j2, '--html', html);
    expect(m.code).toBe(0);
    expect(m.out).toContain('merged from 2 shards');
    expect(m.out).toContain('ttl=40');
    expect(readFileSync(html, 'utf8')).toContain('<table class="heat">');
    const partial = await cli('merge', j1);
    expect(partial.err).toContain('shards 2/2 missing');
    expect((await cli('sweep', fixture, '--grid', 'ttl')).code).toBe(2);
    expect((await cli('sweep', fixture, '--grid', 'ttl=abc')).code).toBe(2);
    expect((await cli('merge', fixture)).code).toBe(2);
  });
});
