// Reading a scenario: YAML (with positions) → schema (zod) → resolution and cross-checks.
// Bad input throws `ScenarioInputError` with every diagnostic found, never a stack trace.
import { readFileSync } from 'node:fs';
import { diagnostic, ScenarioInputError, sortDiagnostics, type Diagnostic } from './errors.js';
import { issuesToDiagnostics } from './issues.js';
import { resolveScenario } from './resolve.js';
import { ScenarioSchema } from './schema/scenario.js';
import { SourceDoc } from './source.js';
import type { Scenario } from './types.js';

export interface LoadOptions {
  /**
   * Values to set before validation, by dotted key path ("patroni.ttl", "seed",
   * "workload.0.rate"): for `--seed` and for sweeps over a parameter grid.
   */
  overrides?: Readonly<Record<string, unknown>>;
}

export interface Loaded {
  scenario: Scenario;
  /** Warnings (the scenario is valid). */
  warnings: Diagnostic[];
  source: SourceDoc;
}

export function loadScenarioFile(file: string, opts: LoadOptions = {}): Loaded {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as { code?: string }).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'permission denied' : String((e as Error).message);
    throw new ScenarioInputError([diagnostic(file, { line: 1, col: 1 }, [], `cannot read the scenario: ${why}`)]);
  }
  return loadScenarioText(text, file, opts);
}

export function loadScenarioText(text: string, file: string, opts: LoadOptions = {}): Loaded {
  const src = new SourceDoc(file, text);
  if (!src.ok) throw new ScenarioInputError(src.diagnostics);
  let data = src.data;
  if (data === null || data === undefined) {
    throw new ScenarioInputError([diagnostic(file, { line: 1, col: 1 }, [], 'the scenario file is empty; it needs at least "dcs" (see docs/scenario-format.md)')]);
  }
  if (typeof data !== 'object' || Array.isArray(data)) {
    throw new ScenarioInputError([diagnostic(file, { line: 1, col: 1 }, [], 'a scenario is a map of keys (name, dcs, patroni, faults, expect, ...), not a list or a single value')]);
  }
  if (opts.overrides) data = applyOverrides(data as Record<string, unknown>, opts.overrides);

  const parsed = ScenarioSchema.safeParse(data);
  if (!parsed.success) {
    const ds = dedupe(issuesToDiagnostics(parsed.error.issues, src, ScenarioSchema));
    throw new ScenarioInputError([...ds, ...src.diagnostics]);
  }
  const { scenario, diagnostics } = resolveScenario(parsed.data, src);
  const all = [...src.diagnostics, ...diagnostics];
  if (scenario === null || all.some((d) => d.severity === 'error')) throw new ScenarioInputError(all);
  return { scenario, warnings: sortDiagnostics(all), source: src };
}

/** Set values by dotted path on a deep copy (numeric segments index lists). */
export function applyOverrides(data: Record<string, unknown>, overrides: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const copy = structuredClone(data);
  for (const [key, value] of Object.entries(overrides)) {
    const parts = key.split('.');
    let node: Record<string, unknown> | unknown[] = copy;
    for (let i = 0; i < parts.length - 1; i++) {
      const seg = parts[i] as string;
      const cur = (node as Record<string, unknown>)[seg];
      if (cur === null || typeof cur !== 'object') {
        const fresh: Record<string, unknown> = {};
        (node as Record<string, unknown>)[seg] = fresh;
        node = fresh;
      } else node = cur as Record<string, unknown>;
    }
    (node as Record<string, unknown>)[parts[parts.length - 1] as string] = value;
  }
  return copy;
}

/**
 * One typo, one message: drop "missing required key X" when the same map has an unknown key
 * whose suggestion is X, and exact duplicates.
 */
function dedupe(ds: Diagnostic[]): Diagnostic[] {
  const suggested = new Set<string>();
  for (const d of ds) {
    const m = /^unknown key; did you mean "([^"]+)"\?$/.exec(d.message);
    if (m) suggested.add(`${JSON.stringify(d.path.slice(0, -1))}|${m[1]}`);
  }
  const seen = new Set<string>();
  return ds.filter((d) => {
    const m = /^missing required key "([^"]+)"/.exec(d.message);
    if (m && suggested.has(`${JSON.stringify(d.path)}|${m[1]}`)) return false;
    const k = `${d.line}:${d.col}:${d.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
