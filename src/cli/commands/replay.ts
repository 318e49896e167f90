// `haywire replay <trace-file | scenario-file>`: walk through a run in the terminal (src/replay).
// A scenario is run first, with the same seed rules as `haywire run` (`--seed` overrides); a trace
// file (`haywire run --trace FILE`) is read back. `--at` starts the cursor at an instant (the
// incidents' replay commands use it); `--print` prints one frame instead, for scripts. Without a
// terminal on stdin and stdout the interactive replay does not start: it says so, suggests the
// HTML report or --print, and exits 2.
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { replayScenario, replayTraceFile } from '../../replay/load.js';
import type { ReplayModel } from '../../replay/model.js';
import { renderFrame, runInteractive, type TerminalStreams } from '../../replay/session.js';
import { parseSeek } from '../../replay/state.js';
import { fmtTime } from '../../replay/text.js';
import { TRACE_FORMAT, TraceFileError } from '../../report/traceFile.js';
import { formatDiagnostic } from '../../scenarios/errors.js';
import type { SimulateOptions } from '../../scenarios/simulate.js';
import { formatDuration } from '../../scenarios/units.js';
import { CliError, EXIT } from '../exitCodes.js';
import { Progress } from '../progress.js';
import { loadScenarios, reportFailures, reportScenarioError } from '../scenarioFiles.js';
import type { CommandContext, CommandModule } from './types.js';

/** The terminal the interactive replay draws on. */
export interface ReplayTerminal extends TerminalStreams {
  /** Both stdin and stdout are terminals. */
  readonly interactive: boolean;
  /** Which of them is not, for the message. */
  readonly notTTY: string[];
}

export function processTerminal(): ReplayTerminal {
  const notTTY = [...(process.stdout.isTTY ? [] : ['stdout']), ...(process.stdin.isTTY ? [] : ['stdin'])];
  return { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, interactive: notTTY.length === 0, notTTY };
}

export interface ReplayCommandDeps {
  terminal: () => ReplayTerminal;
  /** Backends to use instead of the registry's (tests; no command-line flag). */
  backends?: SimulateOptions['backends'];
  /** The interactive session (tests replace it). */
  interactive: typeof runInteractive;
}

interface ReplayOptions {
  seed?: string;
  at?: string;
  print?: boolean;
  width?: string;
  height?: string;
}

/** The header of a trace file, if `path` is one (null: not a trace; a scenario then). */
function traceHeader(path: string): { scenario: string; seed: string } | null {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(64 * 1024);
    const n = readSync(fd, buf, 0, buf.length, 0);
    const first = buf.toString('utf8', 0, n).split('\n')[0] ?? '';
    if (!first.trimStart().startsWith('{')) return null;
    const h = JSON.parse(first) as { format?: unknown; scenario?: unknown; seed?: unknown };
    if (h.format !== TRACE_FORMAT) return null;
    return { scenario: typeof h.scenario === 'string' ? h.scenario : '', seed: typeof h.seed === 'string' ? h.seed : String(h.seed ?? '') };
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}

function positiveInt(text: string | undefined, what: string): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 20 || n > 1000) throw new CliError(`haywire replay: ${what} must be a whole number from 20 to 1000 (got "${text}")`, EXIT.badInput);
  return n;
}

function load(file: string, opts: ReplayOptions, ctx: CommandContext, deps: ReplayCommandDeps, header: { scenario: string; seed: string } | null): ReplayModel | null {
  const { io } = ctx;
  if (header) {
    if (opts.seed !== undefined && opts.seed !== header.seed) {
      throw new CliError(
        `haywire replay: ${file} is a trace of the run with seed ${header.seed}; --seed applies to scenario files (run it again: haywire replay ${header.scenario || '<scenario>'} --seed ${opts.seed})`,
        EXIT.badInput,
      );
    }
    try {
      return replayTraceFile(resolve(io.cwd, file), file);
    } catch (e) {
      if (e instanceof TraceFileError) throw new CliError(`haywire replay: ${e.message}`, EXIT.badInput);
      throw e;
    }
  }
  const loaded = loadScenarios([file], opts.seed !== undefined ? { overrides: { seed: opts.seed } } : {});
  if (reportFailures(io, loaded)) {
    ctx.setExit(EXIT.badInput);
    return null;
  }
  const l = loaded.loaded[0];
  if (!l) return null;
  for (const w of l.warnings) io.err(`${formatDiagnostic(w)}\n`);
  const progress = new Progress(io);
  try {
    const model = replayScenario(l, {
      ...(deps.backends ? { backends: deps.backends } : {}),
      onProgress: (v, end) => progress.update(`${file}  ${formatDuration(Math.floor(v / 1e6) * 1e6)} of ${formatDuration(end)} simulated`),
    });
    progress.clear();
    return model;
  } catch (e) {
    progress.clear();
    if (reportScenarioError(io, ctx, e) !== null) return null;
    throw e;
  }
}

/** The replay command with its terminal and session injectable (tests). */
export function makeReplayCommand(overrides: Partial<ReplayCommandDeps> = {}): CommandModule {
  const deps: ReplayCommandDeps = { terminal: processTerminal, interactive: runInteractive, ...overrides };
  return {
    name: 'replay',
    register(program, ctx) {
      program
        .command('replay')
        .description('walk through a run in the terminal, step by step (a scenario is run first)')
        .argument('<file>', 'a trace file (haywire run --trace FILE) or a scenario file')
        .option('--seed <seed>', "a scenario file: override its seed (as haywire run --seed)")
        .option('--at <time>', 'start the cursor at this virtual time, e.g. 41.2s or 1m30s')
        .option('--print', 'print one frame at --at and exit (no terminal needed; for scripts)')
        .option('--width <cols>', 'width of the --print frame (default: the terminal, else 80)')
        .option('--height <rows>', 'height of the --print frame (default: the terminal, else 24)')
        .addHelpText(
          'after',
          '\nKeys: space play/pause, +/- speed, →/← (n/p) step one event, i/I next/previous incident,\n' +
            'f/F next/previous fault, g seek (type 41.2s, Enter), 1-9 or tab focus a node, ? help, q quit.\n' +
            'Exit code: 0 after you quit (or after --print), 2 for bad input or when stdin/stdout is not\n' +
            'a terminal (use --print, or haywire run <scenario> --html report.html), 3 when this build\n' +
            'cannot run the scenario.\n' +
            'Examples:\n  haywire replay scenarios/examples/etcd-dc-partition.yaml --seed 1 --at 91s\n  haywire run scenarios/x.yaml --trace x.ndjson && haywire replay x.ndjson\n  haywire replay x.ndjson --print --at 41.2s --width 120',
        )
        .action(async (file: string, opts: ReplayOptions) => {
          const { io } = ctx;
          let atUs: number | undefined;
          if (opts.at !== undefined) {
            const p = parseSeek(opts.at, 0);
            if (!p.ok || opts.at.trim().startsWith('-') || opts.at.trim().startsWith('+')) throw new CliError(`haywire replay: --at "${opts.at}": ${p.ok ? 'give an instant of the run, such as 41.2s' : p.error}`, EXIT.badInput);
            atUs = p.us;
          }
          const width = positiveInt(opts.width, '--width');
          const height = positiveInt(opts.height, '--height');
          const abs = resolve(io.cwd, file);
          if (!existsSync(abs) || !statSync(abs).isFile()) throw new CliError(`haywire replay: ${file}: no such file`, EXIT.badInput);
          const header = traceHeader(abs);
          const term = deps.terminal();
          if (!opts.print && !term.interactive) {
            const scenario = header ? header.scenario || '<scenario>' : file;
            io.err(
              `haywire replay: ${term.notTTY.join(' and ')} ${term.notTTY.length > 1 ? 'are' : 'is'} not a terminal, so the interactive replay does not start.\n` +
                `  For a report to read anywhere:  haywire run ${scenario} --html report.html\n` +
                `  For one frame of the replay:    haywire replay ${file} --print${opts.at !== undefined ? ` --at ${opts.at}` : ' --at <time>'}\n`,
            );
            ctx.setExit(EXIT.badInput);
            return;
          }
          const model = load(file, opts, ctx, deps, header);
          if (!model) return;
          if (model.clientErrorsDropped > 0) io.err(`haywire replay: the event log keeps the first client errors; ${model.clientErrorsDropped} more are left out\n`);
          if (atUs !== undefined && (atUs < model.startUs || atUs > model.endUs)) io.err(`haywire replay: --at ${fmtTime(atUs)} is outside the run (${fmtTime(model.startUs)} to ${fmtTime(model.endUs)}); the cursor starts at the nearest end\n`);
          if (opts.print) {
            const ttyCols = term.stdout.isTTY ? term.stdout.columns : undefined;
            const ttyRows = term.stdout.isTTY ? term.stdout.rows : undefined;
            // on a terminal, one row short so the prompt that follows does not scroll the frame away
            const size = { cols: width ?? (ttyCols || 80), rows: height ?? (ttyRows ? ttyRows - 1 : 24) };
            io.out(`${renderFrame(model, { ...(atUs !== undefined ? { atUs } : {}), size, color: io.color })}\n`);
            return;
          }
          await deps.interactive(model, { ...(atUs !== undefined ? { atUs } : {}), color: io.color, streams: term });
        });
    },
  };
}

export const replayCommand = makeReplayCommand();
