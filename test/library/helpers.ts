// Running the scenario library in tests: every file of a library directory is loaded (it must
// validate), run once for its expectations (the library's claims: every expectation holds and no
// incident appears that the expect block does not mention) and once more for the project's
// determinism rule (same scenario + seed ⇒ same trace hash). Each vitest file takes a few
// directories, so the library is spread over parallel workers.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import type { RunResult } from '../../src/report/analyze.js';
import { formatDiagnostic, ScenarioInputError } from '../../src/scenarios/errors.js';
import { loadScenarioFile } from '../../src/scenarios/load.js';
import { simulateScenario } from '../../src/scenarios/simulate.js';

export function scenarioFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((n) => {
      const p = join(dir, n);
      return statSync(p).isDirectory() ? scenarioFiles(p) : /\.ya?ml$/.test(n) ? [p] : [];
    });
}

function load(file: string): ReturnType<typeof loadScenarioFile> {
  try {
    return loadScenarioFile(file);
  } catch (e) {
    if (e instanceof ScenarioInputError) throw new Error(e.diagnostics.map(formatDiagnostic).join('\n'));
    throw e;
  }
}

/** What failed, in words: the failed expectations and the incidents nothing expected. */
export function failures(r: RunResult): string[] {
  const out = r.expectations.filter((e) => !e.ok).map((e) => `${e.name} ${e.expected}: ${e.message}`);
  if (r.verdict === 'fail' && out.length === 0) {
    const kinds = [...new Set(r.incidents.filter((i) => i.severity !== 'info').map((i) => i.kind))];
    out.push(`an incident the expect block does not mention (${kinds.join(', ')})`);
  }
  return out;
}

/** One test per scenario file of `dirs`: expectations hold, and a second run has the same trace hash. */
export function libraryTests(dirs: readonly string[]): void {
  const files = dirs.flatMap((d) => scenarioFiles(d));
  it('finds scenarios', () => {
    expect(files.length).toBeGreaterThan(0);
  });
  it.each(files)('%s: every expectation holds; a second run has the same trace hash', (file) => {
    const first = simulateScenario(load(file));
    const r = first.analysis.result;
    expect(failures(r), `${file} (seed ${r.seed})`).toEqual([]);
    expect(r.verdict).toBe('pass');
    const second = simulateScenario(load(file));
    expect(second.traceHash, `${file}: the same scenario and seed gave two different traces`).toBe(first.traceHash);
  });
}
