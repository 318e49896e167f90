// `haywire coverage [--write FILE | --check FILE]`: run the built-in library and print the coverage
// table (coverage ID → scenarios → verdict) as markdown; `--write` replaces the generated block of
// a document (the README), `--check` exits 1 when that block is not what the library produces now.
import { readFileSync, writeFileSync } from 'node:fs';
import { relative, resolve, sep } from 'node:path';
import { renderCoverageTable, readCoverageBlock, writeCoverageBlock, type CoverageEntry, type CoverageVerdict } from '../coverageTable.js';
import { EXIT, type ExitCode } from '../exitCodes.js';
import { packageRoot } from '../paths.js';
import { runScenarios } from './run.js';
import type { CommandContext, CommandModule } from './types.js';

function fromRoot(file: string, cwd: string): string {
  return relative(packageRoot(), resolve(cwd, file)).split(sep).join('/');
}

export const coverageCommand: CommandModule = {
  name: 'coverage',
  register(program, ctx) {
    program
      .command('coverage')
      .description('run the built-in library and print the coverage table (coverage ID → scenarios → verdict) as markdown')
      .option('--write <file>', 'replace the generated coverage block of this file (e.g. README.md)')
      .option('--check <file>', 'exit 1 if the coverage block of this file is not current')
      .addHelpText('after', '\nExit code: 0 when every scenario passes (and, with --check, the block is current), 1 otherwise.\nExample:\n  haywire coverage --write README.md')
      .action((opts: { write?: string; check?: string }) => {
        const { io } = ctx;
        let code: ExitCode = EXIT.ok;
        const capture: CommandContext = { io, setExit: (c) => void (code = Math.max(code, c) as ExitCode) };
        const report = runScenarios([], { quiet: true }, capture);
        if (report.rows.length === 0) {
          ctx.setExit(code === EXIT.ok ? EXIT.badInput : code);
          return;
        }
        const entries: CoverageEntry[] = report.rows.map((r) => ({ file: fromRoot(r.file, io.cwd), covers: r.covers }));
        const verdicts = new Map<string, CoverageVerdict>(report.rows.map((r) => [fromRoot(r.file, io.cwd), r.verdict]));
        const block = renderCoverageTable(entries, verdicts);
        if (opts.check !== undefined) {
          const current = readCoverageBlock(readFileSync(opts.check, 'utf8'));
          if (current !== block) {
            io.err(`${opts.check}: the coverage table is ${current === null ? 'missing' : 'stale'}; run "haywire coverage --write ${opts.check}"\n`);
            ctx.setExit(EXIT.failed);
          } else io.out(`${opts.check}: the coverage table is current\n`);
        } else if (opts.write !== undefined) {
          const doc = readFileSync(opts.write, 'utf8');
          writeFileSync(opts.write, writeCoverageBlock(doc, block));
          io.out(`${opts.write}: coverage table written (${entries.length} scenarios)\n`);
        } else io.out(`${block}\n`);
        ctx.setExit(code);
      });
  },
};
