// The `haywire` program: the command table on commander, exit codes, and what a bare `haywire`
// (`npm start`) does. Errors from bad input end with a message and exit 2, never a stack trace.
import { Command, CommanderError } from 'commander';
import { COMMANDS } from './commands/index.js';
import { printSummary, runScenarios } from './commands/run.js';
import type { CommandContext } from './commands/types.js';
import { CliError, EXIT, type ExitCode } from './exitCodes.js';
import type { CliIo } from './io.js';
import { packageVersion } from './paths.js';

export function createProgram(ctx: CommandContext): Command {
  const program = new Command('haywire');
  program
    .description('Deterministic chaos testing of PostgreSQL clusters run by Patroni.\nWith no command: run the built-in scenario library and print a table.')
    .version(packageVersion(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => ctx.io.out(s),
      writeErr: (s) => ctx.io.err(s),
    })
    .showSuggestionAfterError(true);
  for (const c of COMMANDS) c.register(program, ctx);
  program.addHelpText('after', '\nExit codes: 0 ok, 1 an expectation failed, 2 bad input, 3 cannot run.\nScenario format: docs/scenario-format.md');
  return program;
}

/**
 * `haywire` with no arguments (`npm start`): run the built-in library and print one table, with
 * the exit code of `haywire run scenarios/` (a scenario that does not validate shows as invalid).
 */
function runStart(ctx: CommandContext): void {
  let code: ExitCode = EXIT.ok;
  const capture: CommandContext = { io: ctx.io, setExit: (c) => void (code = Math.max(code, c) as ExitCode) };
  const report = runScenarios([], { quiet: true }, capture);
  if (report.rows.length === 0) {
    ctx.io.err('haywire: the scenario library is empty ("haywire --help" lists every command; "haywire demo" runs the kernel demo)\n');
    ctx.setExit(EXIT.badInput);
    return;
  }
  printSummary(ctx.io, report.rows);
  ctx.setExit(code);
}

/** Run the CLI with `argv` (without node and the script); resolves to the exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let code: ExitCode = EXIT.ok;
  const ctx: CommandContext = {
    io,
    setExit(c) {
      if (c > code) code = c;
    },
  };
  try {
    if (argv.length === 0) runStart(ctx);
    else await createProgram(ctx).parseAsync([...argv], { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version end with exit code 0; every other commander error is a usage error.
      if (e.exitCode === 0 || e.code === 'commander.helpDisplayed' || e.code === 'commander.version') return code;
      if (e.code === 'commander.help') return EXIT.badInput;
      return EXIT.badInput;
    }
    if (e instanceof CliError) {
      io.err(`${e.message}\n`);
      return Math.max(code, e.exitCode);
    }
    const err = e as Error;
    io.err(`haywire: internal error: ${err.message}\n${process.env.HAYWIRE_DEBUG ? `${err.stack ?? ''}\n` : '(set HAYWIRE_DEBUG=1 for the stack trace; please report it)\n'}`);
    return EXIT.cannot;
  }
  return code;
}
