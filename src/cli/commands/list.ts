// `haywire list [file|dir...]`: the scenarios (default: the built-in library) with the coverage IDs
// each one shows.
import { COVERAGE } from '../../scenarios/coverage.js';
import { EXIT } from '../exitCodes.js';
import { displayPath, expandScenarioPaths, libraryDir } from '../paths.js';
import { loadScenarios } from '../scenarioFiles.js';
import type { CommandModule } from './types.js';

export interface ListedScenario {
  file: string;
  name: string;
  covers: string[];
  description: string;
  valid: boolean;
}

export const listCommand: CommandModule = {
  name: 'list',
  register(program, ctx) {
    program
      .command('list')
      .description('list scenarios (default: the built-in library) with the coverage IDs they show')
      .argument('[paths...]', 'scenario files or directories (default: the built-in library)')
      .option('--json', 'print JSON: [{ file, name, covers, description, valid }]')
      .option('--coverage', 'list the coverage IDs instead, each with the scenarios that show it')
      .action((paths: string[], opts: { json?: boolean; coverage?: boolean }) => {
        const { io } = ctx;
        const { files, problems } = expandScenarioPaths(paths.length > 0 ? paths : [displayPath(libraryDir(), io.cwd)], io.cwd);
        for (const p of problems) io.err(`${p}\n`);
        if (problems.length > 0) ctx.setExit(EXIT.badInput);
        const report = loadScenarios(files);
        const rows: ListedScenario[] = [
          ...report.loaded.map((l) => ({
            file: l.scenario.file,
            name: l.scenario.name,
            covers: l.scenario.covers,
            description: l.scenario.description.trim().split('\n')[0] ?? '',
            valid: true,
          })),
          ...report.failed.map((f) => ({ file: f.file, name: '', covers: [], description: '', valid: false })),
        ].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
        if (opts.json) io.out(`${JSON.stringify(rows, null, 2)}\n`);
        else if (opts.coverage) {
          for (const [id, title] of Object.entries(COVERAGE)) {
            const by = rows.filter((r) => r.covers.includes(id)).map((r) => r.file);
            io.out(`${id.padEnd(4)}${title}\n      ${by.length > 0 ? by.join(', ') : '(no scenario yet)'}\n`);
          }
        } else {
          const w = Math.max(8, ...rows.map((r) => r.file.length));
          io.out(`${'SCENARIO'.padEnd(w)}  ${'COVERS'.padEnd(14)}  DESCRIPTION\n`);
          for (const r of rows) {
            const covers = r.valid ? r.covers.join(' ') : 'INVALID (haywire validate)';
            io.out(`${r.file.padEnd(w)}  ${covers.padEnd(14)}  ${r.description}\n`);
          }
        }
        if (report.failed.length > 0) ctx.setExit(EXIT.badInput);
      });
  },
};
