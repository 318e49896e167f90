// The command table, in the order `haywire --help` lists them.
import { checkCommand } from './check.js';
import { coverageCommand } from './coverage.js';
import { demoCommand } from './demo.js';
import { listCommand } from './list.js';
import { mergeCommand } from './merge.js';
import { replayCommand } from './replay.js';
import { runCommand } from './run.js';
import { sweepCommand } from './sweep.js';
import type { CommandModule } from './types.js';
import { validateCommand } from './validate.js';

export const COMMANDS: readonly CommandModule[] = [
  runCommand,
  validateCommand,
  listCommand,
  coverageCommand,
  checkCommand,
  sweepCommand,
  mergeCommand,
  replayCommand,
  demoCommand,
];
