// Load a scenario from text and return either the scenario or its formatted diagnostics.
import { formatDiagnostic, ScenarioInputError } from '../../src/scenarios/errors.js';
import { loadScenarioText, type Loaded } from '../../src/scenarios/load.js';

export function load(text: string, file = 'scenarios/x.yaml'): Loaded {
  return loadScenarioText(text, file);
}

/** The formatted error lines of a scenario that must not load. */
export function errorsOf(text: string, file = 'scenarios/x.yaml'): string[] {
  try {
    loadScenarioText(text, file);
  } catch (e) {
    if (e instanceof ScenarioInputError) return e.errors.map(formatDiagnostic);
    throw e;
  }
  throw new Error('expected the scenario to be refused');
}

export function warningsOf(text: string, file = 'scenarios/x.yaml'): string[] {
  return load(text, file).warnings.map(formatDiagnostic);
}

/** Join lines: YAML in tests, indentation kept. */
export const y = (lines: string[]): string => `${lines.join('\n')}\n`;
