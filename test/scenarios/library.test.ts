// Every scenario file shipped in scenarios/ (the examples now, the library later) validates.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatDiagnostic, ScenarioInputError } from '../../src/scenarios/errors.js';
import { loadScenarioFile } from '../../src/scenarios/load.js';

function scenarioFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((n) => {
      const p = join(dir, n);
      return statSync(p).isDirectory() ? scenarioFiles(p) : /\.ya?ml$/.test(n) ? [p] : [];
    });
}

describe('the scenario files in scenarios/', () => {
  const files = scenarioFiles('scenarios');

  it('include the examples', () => {
    expect(files.filter((f) => f.startsWith('scenarios/examples/')).length).toBeGreaterThanOrEqual(3);
  });

  it.each(files)('%s validates, covers at least one ID and explains itself in a leading comment', (file) => {
    try {
      expect(readFileSync(file, 'utf8').startsWith('#')).toBe(true);
      const { scenario } = loadScenarioFile(file);
      expect(scenario.covers.length).toBeGreaterThan(0);
      expect(scenario.description.length).toBeGreaterThan(0);
    } catch (e) {
      if (e instanceof ScenarioInputError) throw new Error(e.diagnostics.map(formatDiagnostic).join('\n'));
      throw e;
    }
  });
});
