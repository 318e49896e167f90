// Files the CLI reads: the package root (for the version and the built-in library) and the
// scenario files named by arguments (a file, or every .yaml/.yml under a directory, sorted).
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CliError, EXIT } from './exitCodes.js';

/** The directory holding haywire's package.json (works from src/ under vitest and from dist/). */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const pj = join(dir, 'package.json');
    if (existsSync(pj)) {
      try {
        if ((JSON.parse(readFileSync(pj, 'utf8')) as { name?: string }).name === 'haywire') return dir;
      } catch {
        // not ours; keep looking
      }
    }
    dir = dirname(dir);
  }
  throw new CliError('cannot find haywire\'s package.json', EXIT.cannot);
}

export function packageVersion(): string {
  const pj = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version?: string };
  return pj.version ?? '0.0.0';
}

/** The built-in scenario library. */
export function libraryDir(): string {
  return join(packageRoot(), 'scenarios');
}

const SCENARIO_FILE = /\.ya?ml$/i;

function walk(dir: string, out: string[]): void {
  for (const name of readdirSync(dir).sort()) {
    if (name.startsWith('.')) continue;
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) walk(p, out);
    else if (SCENARIO_FILE.test(name)) out.push(p);
  }
}

export interface ExpandedPaths {
  /** Scenario files, as the user would type them. */
  files: string[];
  /** One message per argument that names nothing usable. */
  problems: string[];
}

/** Scenario files named by `args`: files as given, directories expanded recursively and sorted. */
export function expandScenarioPaths(args: readonly string[], cwd: string): ExpandedPaths {
  const files: string[] = [];
  const problems: string[] = [];
  for (const a of args) {
    const abs = resolve(cwd, a);
    if (!existsSync(abs)) {
      problems.push(`${a}: no such file or directory`);
      continue;
    }
    if (statSync(abs).isDirectory()) {
      const found: string[] = [];
      walk(abs, found);
      if (found.length === 0) problems.push(`${a}: no scenario files (.yaml, .yml) in this directory`);
      files.push(...found.map((f) => displayPath(f, cwd)));
    } else files.push(a);
  }
  return { files: [...new Set(files)], problems };
}

/** A path as the user would type it from `cwd` (relative when inside it). */
export function displayPath(p: string, cwd: string): string {
  const rel = relative(cwd, p);
  return rel === '' || rel.startsWith('..') ? p : rel;
}
