// Subcommands whose names are reserved for work in progress: each answers that it is not
// available yet (exit 3) instead of "unknown command". Replace an entry by its own module.
import type { Command } from 'commander';
import { EXIT } from '../exitCodes.js';
import type { CommandContext, CommandModule } from './types.js';

export function reservedCommand(name: string, usage: string, description: string, issue: string): CommandModule {
  return {
    name,
    reserved: issue,
    register(program: Command, ctx: CommandContext) {
      program
        .command(name)
        .usage(usage)
        .description(`${description} (not available yet: ${issue})`)
        .allowUnknownOption()
        .allowExcessArguments()
        .action(() => {
          ctx.io.err(`haywire ${name}: not available yet (${issue})\n`);
          ctx.setExit(EXIT.cannot);
        });
    },
  };
}
