// Diagnostics about scenario input: each names the file, line, column and key path, in the form
// compilers use, so editors and CI annotate the right line:
//   scenarios/x.yaml:12:5: patroni.loop_wiat: unknown key; did you mean "loop_wait"?
// Bad input is never a stack trace: `ScenarioInputError` carries the list and the CLI prints it
// and exits with code 2.

/** A key path into the scenario document: map keys and list indices. */
export type Path = readonly (string | number)[];

export type Severity = 'error' | 'warning';

export interface Diagnostic {
  file: string;
  line: number;
  col: number;
  path: Path;
  message: string;
  severity: Severity;
}

export function diagnostic(
  file: string,
  pos: { line: number; col: number },
  path: Path,
  message: string,
  severity: Severity = 'error',
): Diagnostic {
  return { file, line: pos.line, col: pos.col, path, message, severity };
}

/** `patroni.loop_wait`, `faults[2].targets[0]`, `topology.hosts."eu/dc1"`. */
export function formatPath(path: Path): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z0-9_-]+$/.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `${out === '' ? '' : '.'}${JSON.stringify(seg)}`;
  }
  return out;
}

/** One line: `file:line:col: path: message` (warnings say so). */
export function formatDiagnostic(d: Diagnostic): string {
  const where = `${d.file}:${d.line}:${d.col}`;
  const path = d.path.length > 0 ? `${formatPath(d.path)}: ` : '';
  const sev = d.severity === 'warning' ? 'warning: ' : '';
  return `${where}: ${sev}${path}${d.message}`;
}

/** Errors first, then by line and column. */
export function sortDiagnostics(ds: readonly Diagnostic[]): Diagnostic[] {
  return [...ds].sort((a, b) => {
    if (a.severity !== b.severity) return a.severity === 'error' ? -1 : 1;
    if (a.file !== b.file) return a.file < b.file ? -1 : 1;
    return a.line - b.line || a.col - b.col;
  });
}

/** Bad scenario input (syntax, schema or semantics). `diagnostics` holds at least one error. */
export class ScenarioInputError extends Error {
  readonly diagnostics: Diagnostic[];

  constructor(diagnostics: readonly Diagnostic[]) {
    const sorted = sortDiagnostics(diagnostics);
    super(sorted.map(formatDiagnostic).join('\n'));
    this.name = 'ScenarioInputError';
    this.diagnostics = sorted;
  }

  get errors(): Diagnostic[] {
    return this.diagnostics.filter((d) => d.severity === 'error');
  }
}

/**
 * A valid scenario that this build of haywire cannot run (a DCS backend not registered yet, a
 * deployment shape the models do not support). Not bad input: the CLI exits 3, not 2.
 */
export class ScenarioCannotRunError extends Error {
  readonly diagnostics: Diagnostic[];

  constructor(diagnostics: readonly Diagnostic[]) {
    const sorted = sortDiagnostics(diagnostics);
    super(sorted.map(formatDiagnostic).join('\n'));
    this.name = 'ScenarioCannotRunError';
    this.diagnostics = sorted;
  }
}
