// The library as a whole: every coverage ID of the seed has scenarios outside the conformance set,
// every file explains itself, the conformance files are named after Patroni's features, the store
// comparison shares one fault schedule, the run tests cover every directory, and the README's
// coverage table is what `haywire coverage --write README.md` would write now.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { COVERAGE_IDS } from '../../src/scenarios/coverage.js';
import { ScenarioInputError } from '../../src/scenarios/errors.js';
import { loadScenarioFile } from '../../src/scenarios/load.js';
import { isConformance, readCoverageBlock, renderCoverageTable, type CoverageVerdict } from '../../src/cli/coverageTable.js';
import { scenarioFiles } from './helpers.js';

const files = scenarioFiles('scenarios');
const loaded = files.map((f) => ({ file: f, scenario: loadScenarioFile(f).scenario }));

describe('the scenario library', () => {
  it('shows every coverage ID of the seed with at least one scenario outside scenarios/conformance', () => {
    const missing = COVERAGE_IDS.filter((id) => !loaded.some((l) => !isConformance(l.file) && l.scenario.covers.includes(id)));
    expect(missing).toEqual([]);
  });

  it.each(files)('%s opens with a comment of several lines that says what it shows', (file) => {
    const head = readFileSync(file, 'utf8').split('\n');
    const comment = head.slice(0, head.findIndex((l) => !l.startsWith('#')));
    expect(comment.length).toBeGreaterThanOrEqual(3);
    const l = loaded.find((x) => x.file === file);
    expect(l?.scenario.covers.length).toBeGreaterThan(0);
    expect(Object.keys(l?.scenario.expect ?? {}).length).toBeGreaterThan(0);
  });

  it('runs every directory in one of the test/library/run-*.test.ts files', () => {
    const tested = readdirSync('test/library')
      .filter((n) => /^run-.*\.test\.ts$/.test(n))
      .flatMap((n) => [...readFileSync(`test/library/${n}`, 'utf8').matchAll(/'scenarios\/([\w-]+)'/g)].map((m) => m[1]));
    const dirs = readdirSync('scenarios').filter((d) => statSync(`scenarios/${d}`).isDirectory());
    expect(dirs.filter((d) => !tested.includes(d))).toEqual([]);
  });

  it('names each conformance file <feature>--<scenario>.yaml after a feature of Patroni in scope', () => {
    const features = ['basic_replication', 'cascading_replication', 'dcs_failsafe_mode', 'frozen_patroni', 'patroni_api', 'priority_failover', 'priority_sync', 'quorum_commit', 'recovery', 'standby_cluster', 'timing'];
    const conf = files.filter(isConformance).map((f) => f.replace('scenarios/conformance/', ''));
    expect(conf.length).toBeGreaterThanOrEqual(30);
    for (const f of conf) {
      const m = /^([a-z_]+)--([a-z0-9-]+)\.yaml$/.exec(f);
      expect(m, f).not.toBeNull();
      expect(features, f).toContain(m?.[1]);
    }
    for (const feature of features) expect(conf.some((f) => f.startsWith(`${feature}--`)), feature).toBe(true);
  });

  it('runs the same cluster, workload and faults on every store in scenarios/stores', () => {
    const shared = ['topology', 'patroni', 'workload', 'phases', 'faults'];
    const docs = scenarioFiles('scenarios/stores').map((f) => ({ f, d: parse(readFileSync(f, 'utf8')) as Record<string, unknown> }));
    expect(docs.length).toBeGreaterThanOrEqual(8);
    const first = docs[0] as { f: string; d: Record<string, unknown> };
    for (const { f, d } of docs) for (const k of shared) expect(d[k], `${f}: ${k}`).toEqual(first.d[k]);
    const backends = new Set(docs.map(({ d }) => (d.dcs as { backend: string }).backend));
    expect(backends.size).toBe(docs.length);
  });

  it('refuses a memory store under several nodes unless allowSplit asks for the split', () => {
    expect(() => loadScenarioFile('test/library/fixtures/memory-three-nodes.yaml')).toThrow(ScenarioInputError);
    expect(() => loadScenarioFile('test/library/fixtures/memory-three-nodes.yaml')).toThrow(/memory store lives in one Patroni process/);
    expect(loaded.find((l) => l.file.endsWith('dcs/memory-split.yaml'))?.scenario.clusters[0]?.nodes.length).toBe(3);
  });

  it("has the README's coverage table as `haywire coverage --write README.md` writes it (every scenario passing: the run-*.test.ts files check that)", () => {
    const entries = loaded.map((l) => ({ file: l.file, covers: l.scenario.covers }));
    const verdicts = new Map<string, CoverageVerdict>(loaded.map((l) => [l.file, 'pass']));
    const block = readCoverageBlock(readFileSync('README.md', 'utf8'));
    expect(block, 'README.md has no coverage block; run "haywire coverage --write README.md"').not.toBeNull();
    expect(block, 'the README coverage table is stale; run "npm run build && node dist/src/cli/main.js coverage --write README.md"').toBe(renderCoverageTable(entries, verdicts));
  });
});
