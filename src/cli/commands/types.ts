// One module per command: each exports a `CommandModule` that adds its subcommand to the program.
// To add a command, write a module next to this one and list it in `index.ts`.
import type { Command } from 'commander';
import type { ExitCode } from '../exitCodes.js';
import type { CliIo } from '../io.js';

export interface CommandContext {
  io: CliIo;
  /** Record the command's exit code (the highest one set wins). */
  setExit(code: ExitCode): void;
}

export interface CommandModule {
  /** The subcommand's name, for the command table and tests. */
  readonly name: string;
  register(program: Command, ctx: CommandContext): void;
}
