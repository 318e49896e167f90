// `haywire validate <file|dir>...`: parse and check scenario files without running them.
import { checkBuildable } from '../../scenarios/build.js';
import { formatDiagnostic, ScenarioCannotRunError, ScenarioInputError } from '../../scenarios/errors.js';
import { EXIT } from '../exitCodes.js';
import { expandScenarioPaths } from '../paths.js';
import { loadScenarios, printDiagnostics } from '../scenarioFiles.js';
import type { CommandModule } from './types.js';

export const validateCommand: CommandModule = {
  name: 'validate',
  register(program, ctx) {
    program
      .command('validate')
      .description('check scenario files (syntax, keys, values, names across sections) without running them')
      .argument('<paths...>', 'scenario files, or directories to search for .yaml files')
      .option('--strict', 'treat warnings as errors')
      .option('-q, --quiet', 'print problems only')
      .addHelpText('after', '\nExit code: 0 when every file is valid, 2 otherwise.\nExample:\n  haywire validate scenarios/examples/')
      .action((paths: string[], opts: { strict?: boolean; quiet?: boolean }) => {
        const { io } = ctx;
        const { files, problems } = expandScenarioPaths(paths, io.cwd);
        for (const p of problems) io.err(`${p}\n`);
        const report = loadScenarios(files);
        let bad = report.failed.length + problems.length;
        for (const f of report.failed) printDiagnostics(io, f.diagnostics);
        for (const l of report.loaded) {
          for (const w of l.warnings) io.err(`${formatDiagnostic(w)}\n`);
          // the dry build: processes, registered fault kinds, backends
          try {
            checkBuildable(l.scenario, { source: l.source });
          } catch (e) {
            if (e instanceof ScenarioInputError) {
              printDiagnostics(io, e.diagnostics);
              bad++;
              continue;
            }
            if (!(e instanceof ScenarioCannotRunError)) throw e;
            for (const d of e.diagnostics) io.err(`${formatDiagnostic({ ...d, severity: 'warning' })} (valid, but this build cannot run it)\n`);
          }
          if (opts.strict && l.warnings.length > 0) bad++;
          else if (!opts.quiet) {
            const s = l.scenario;
            const covers = s.covers.length > 0 ? ` [${s.covers.join(' ')}]` : '';
            io.out(`ok  ${s.file}  ${s.name}${covers}\n`);
          }
        }
        if (bad > 0) {
          const n = files.length + problems.length;
          io.err(`${bad} of ${n} scenario file${n === 1 ? '' : 's'} invalid${opts.strict ? ' (warnings count with --strict)' : ''}\n`);
          ctx.setExit(EXIT.badInput);
        }
      });
  },
};
