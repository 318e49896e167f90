// `haywire replay`: without a terminal it says so and exits 2; --print renders one frame at --at;
// a trace file replays exactly like the scenario it recorded; the interactive session gets --at.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { describe, expect, it, vi } from 'vitest';
import { runCli } from '../../src/cli/cli.js';
import { makeReplayCommand, type ReplayCommandDeps, type ReplayTerminal } from '../../src/cli/commands/replay.js';
import type { CommandContext } from '../../src/cli/commands/types.js';
import { CliError, EXIT } from '../../src/cli/exitCodes.js';
import { bufferIo } from '../../src/cli/io.js';
import type { ReplayModel } from '../../src/replay/model.js';
import { TraceFileWriter } from '../../src/report/traceFile.js';
import { loadScenarioFile } from '../../src/scenarios/load.js';
import { simulateScenario } from '../../src/scenarios/simulate.js';
import { backends, FIXTURE, frameLines } from './helpers.js';

function fakeTerminal(tty: boolean): ReplayTerminal {
  return {
    stdin: { isTTY: tty } as unknown as NodeJS.ReadStream,
    stdout: { isTTY: tty, columns: 100, rows: 30 } as unknown as NodeJS.WriteStream,
    stderr: {} as unknown as NodeJS.WriteStream,
    interactive: tty,
    notTTY: tty ? [] : ['stdout'],
  };
}

/** The replay command alone, run the way runCli runs commands. */
async function replay(argv: string[], deps: Partial<ReplayCommandDeps>): Promise<{ code: number; out: string; err: string }> {
  const io = bufferIo();
  let code: number = EXIT.ok;
  const ctx: CommandContext = { io, setExit: (c) => void (code = Math.max(code, c)) };
  const program = new Command('haywire').exitOverride().configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) });
  makeReplayCommand({ backends, ...deps }).register(program, ctx);
  try {
    await program.parseAsync(['replay', ...argv], { from: 'user' });
  } catch (e) {
    if (e instanceof CliError) {
      io.err(`${e.message}\n`);
      code = Math.max(code, e.exitCode);
    } else if (e instanceof CommanderError) code = e.exitCode === 0 ? code : EXIT.badInput;
    else throw e;
  }
  return { code, out: io.stdout, err: io.stderr };
}

const tmp = mkdtempSync(join(tmpdir(), 'haywire-replay-'));

describe('haywire replay', () => {
  it('without a terminal it does not start, says why, suggests --html and --print, and exits 2', async () => {
    const interactive = vi.fn(async () => {});
    const r = await replay([FIXTURE, '--at', '41.2s'], { terminal: () => fakeTerminal(false), interactive });
    expect(r.code).toBe(2);
    expect(interactive).not.toHaveBeenCalled();
    expect(r.out).toBe('');
    expect(r.err).toBe(
      'haywire replay: stdout is not a terminal, so the interactive replay does not start.\n' +
        `  For a report to read anywhere:  haywire run ${FIXTURE} --html report.html\n` +
        `  For one frame of the replay:    haywire replay ${FIXTURE} --print --at 41.2s\n`,
    );
  });

  it('--help documents the keys and the exit codes', async () => {
    const io = bufferIo();
    expect(await runCli(['replay', '--help'], io)).toBe(0);
    expect(io.stdout).toContain('Usage: haywire replay');
    expect(io.stdout).toContain('--print');
    expect(io.stdout).toContain('--at <time>');
    expect(io.stdout).toMatch(/2 for bad input or when stdin\/stdout is not\s+a terminal/);
  });

  it('--print renders one frame at --at; a trace file of the same run renders the same frame', async () => {
    const printed = await replay([FIXTURE, '--print', '--at', '41.2s', '--width', '80', '--height', '24'], { terminal: () => fakeTerminal(false) });
    expect(printed.code).toBe(0);
    const f = frameLines(printed.out.replace(/\n$/, ''));
    expect(f).toHaveLength(24);
    expect(f[0]).toMatch(/^haywire replay · small-partition · seed 7 .* 41\.2s \/ 80s$/);
    expect(printed.out.includes('\u001B[')).toBe(false); // no colour codes when stdout is not a terminal
    // record the same run to a trace file
    const loaded = loadScenarioFile(FIXTURE);
    const trace = join(tmp, 'small.ndjson');
    const writer = new TraceFileWriter(trace, { scenario: loaded.scenario.file, seed: loaded.scenario.seed });
    const sim = simulateScenario(loaded, { listener: writer.push, backends });
    writer.close(sim.traceHash);
    const fromTrace = await replay([trace, '--print', '--at', '41.2s', '--width', '80', '--height', '24'], { terminal: () => fakeTerminal(false) });
    expect(fromTrace.code).toBe(0);
    expect(fromTrace.out).toBe(printed.out);
    // the trace is of seed 7: another seed needs the scenario
    const other = await replay([trace, '--seed', '8', '--print'], { terminal: () => fakeTerminal(false) });
    expect(other.code).toBe(2);
    expect(other.err).toContain(`is a trace of the run with seed 7; --seed applies to scenario files (run it again: haywire replay ${loaded.scenario.file} --seed 8)`);
    // on a terminal, the interactive session starts at --at, with the terminal's streams
    let got: { model: ReplayModel; atUs: number | undefined } | undefined;
    const interactive = vi.fn(async (model: ReplayModel, opts: { atUs?: number } = {}) => {
      got = { model, atUs: opts.atUs };
    });
    const live = await replay([trace, '--at', '41.2s'], { terminal: () => fakeTerminal(true), interactive });
    expect(live.code).toBe(0);
    expect(interactive).toHaveBeenCalledTimes(1);
    expect(got?.atUs).toBe(41_200_000);
    expect(got?.model.source).toEqual({ kind: 'trace', path: trace });
    expect(got?.model.traceHash).toBe(sim.traceHash);
  });

  it('--seed on a scenario changes the run (same rules as haywire run)', async () => {
    const r = await replay([FIXTURE, '--seed', '8', '--print', '--width', '80', '--height', '24'], { terminal: () => fakeTerminal(false) });
    expect(r.code).toBe(0);
    expect(r.out.split('\n')[0]).toContain('seed 8');
  });

  it('bad input exits 2 with a message: a missing file, a bad --at, a file that is neither', async () => {
    const t = { terminal: () => fakeTerminal(false) };
    const missing = await replay([join(tmp, 'nope.ndjson'), '--print'], t);
    expect(missing).toMatchObject({ code: 2 });
    expect(missing.err).toContain('nope.ndjson: no such file');
    const at = await replay([FIXTURE, '--print', '--at', 'later'], t);
    expect(at.code).toBe(2);
    expect(at.err).toContain('--at "later"');
    const junk = join(tmp, 'junk.ndjson');
    writeFileSync(junk, '{"format":"haywire-trace","version":99,"scenario":"x","seed":"1"}\n');
    const newer = await replay([junk, '--print'], t);
    expect(newer.code).toBe(2);
    expect(newer.err).toContain('newer than this haywire reads');
    const notYaml = join(tmp, 'notes.txt');
    writeFileSync(notYaml, 'just: [words\n');
    const bad = await replay([notYaml, '--print'], t);
    expect(bad.code).toBe(2);
    const width = await replay([FIXTURE, '--print', '--width', '5'], t);
    expect(width.code).toBe(2);
    expect(width.err).toContain('--width must be a whole number from 20 to 1000');
  });
});
