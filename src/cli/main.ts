#!/usr/bin/env node
// The `haywire` command (bin of the package; `npm start` runs it with no arguments).
import './interactiveTerminal.js';
import { runCli } from './cli.js';
import { processIo } from './io.js';

process.exitCode = await runCli(process.argv.slice(2), processIo());
