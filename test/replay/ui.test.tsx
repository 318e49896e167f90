// The replay in a terminal: the app driven through ink-testing-library (keys in, frames out), and
// the session on a fake terminal, which enters the alternate screen and, whatever ends it — q,
// Ctrl-C, a signal, an error while rendering — gives the terminal back: raw mode off, cursor shown,
// alternate screen left, signal handlers removed.
import { render, cleanup } from 'ink-testing-library';
import { afterEach, describe, expect, it, beforeAll, vi } from 'vitest';

// ink reads CI / CONTINUOUS_INTEGRATION once, when it loads, and in CI draws no frame until the
// app exits; these tests are about the frames a user's terminal shows (the binary clears the
// variables for `haywire replay` on a TTY: src/cli/interactiveTerminal.ts)
vi.hoisted(() => {
  delete process.env.CI;
  delete process.env.CONTINUOUS_INTEGRATION;
});
import { ReplayApp } from '../../src/replay/App.js';
import { scaleOf } from '../../src/replay/lanes.js';
import { frameLines, smallRun, tick } from './helpers.js';
import { EventEmitter } from 'node:events';
import type { ReplayModel } from '../../src/replay/model.js';
import { ENTER_ALT_SCREEN, LEAVE_ALT_SCREEN, runInteractive, SHOW_CURSOR, type TerminalStreams } from '../../src/replay/session.js';

const SIZE = { cols: 80, rows: 24 };
const KEY = { right: '\u001B[C', left: '\u001B[D', enter: '\r', tab: '\t', esc: '\u001B' };

afterEach(() => cleanup());

async function press(stdin: { write(s: string): void }, ...keys: string[]): Promise<void> {
  for (const k of keys) {
    stdin.write(k);
    await tick(10);
  }
}

/** The frame's lines once `ready` holds for its text (ink renders asynchronously; a loaded machine is slow). */
async function frameWhen(lastFrame: () => string | undefined, ready: (text: string) => boolean): Promise<string[]> {
  await vi.waitFor(() => expect(ready(lastFrame() ?? '')).toBe(true), { timeout: 5000, interval: 10 });
  return frameLines(lastFrame());
}

describe('the replay app', () => {
  const m = smallRun();
  const header = (f: string[]): string => f[0] ?? '';

  it('starts at --at and draws 80×24', async () => {
    const { lastFrame } = render(<ReplayApp model={m} atUs={41_200_000} size={SIZE} color={false} />);
    const f = await frameWhen(lastFrame, (t) => t.includes('haywire replay'));
    expect(f).toHaveLength(24);
    expect(header(f)).toMatch(/^haywire replay · small-partition · seed 7 · 1 incident +\|\| 1x {2}41\.2s \/ 80s$/);
    expect(f.join('\n')).toContain('▲ 41.2s');
  });

  it('i jumps to the incident and says which it is', async () => {
    const { lastFrame, stdin } = render(<ReplayApp model={m} size={SIZE} color={false} />);
    await frameWhen(lastFrame, (t) => t.includes('haywire replay'));
    await press(stdin, 'i');
    const inc = m.incidents[0]!;
    const f = await frameWhen(lastFrame, (t) => t.includes('incident 1/1'));
    expect(header(f)).toContain(`${(inc.fromUs / 1e6).toFixed(3).replace(/\.?0+$/, '')}s / 80s`);
    expect(f[f.length - 1]).toContain('incident 1/1: divergence-1 (warning)');
    const caret = f.find((l) => l.includes('▲'))!;
    expect(caret.indexOf('▲') - 10).toBe(scaleOf(m, 70).colOf(inc.fromUs));
  });

  it('g 41.2s ⏎ seeks', async () => {
    const { lastFrame, stdin } = render(<ReplayApp model={m} size={SIZE} color={false} />);
    await frameWhen(lastFrame, (t) => t.includes('haywire replay'));
    await press(stdin, 'g', '4', '1', '.', '2', 's');
    expect((await frameWhen(lastFrame, (t) => t.includes('41.2s▏'))).pop()).toMatch(/^seek to: 41\.2s▏/);
    await press(stdin, KEY.enter);
    const f = await frameWhen(lastFrame, (t) => !t.includes('seek to'));
    expect(header(f)).toMatch(/41\.2s \/ 80s$/);
    expect(f.join('\n')).toContain('▲ 41.2s');
    expect(f.pop()).toContain('at 41.2s');
  });

  it('→ steps to the next event and ← back', async () => {
    const { lastFrame, stdin } = render(<ReplayApp model={m} atUs={20_000_000} size={SIZE} color={false} />);
    await frameWhen(lastFrame, (t) => t.includes('haywire replay'));
    const stops = m.stops(null);
    const next = stops.find((t) => t > 20_000_000)!;
    await press(stdin, KEY.right);
    const fmt = (us: number): string => `${(us / 1e6).toFixed(3).replace(/\.?0+$/, '')}s`;
    expect(header(await frameWhen(lastFrame, (t) => !t.includes(' 20s / 80s')))).toContain(`${fmt(next)} / 80s`);
    await press(stdin, KEY.left);
    expect(header(await frameWhen(lastFrame, (t) => t.includes(' 20s / 80s')))).toContain('20s / 80s');
  });

  it('focus: 1 highlights pg1 and filters the log; tab moves on; 0 clears', async () => {
    const { lastFrame, stdin } = render(<ReplayApp model={m} atUs={30_000_000} size={SIZE} color={false} />);
    await frameWhen(lastFrame, (t) => t.includes('haywire replay'));
    await press(stdin, '1');
    let f = (await frameWhen(lastFrame, (t) => t.includes('▸pg1'))).join('\n');
    expect(f).toContain('▸pg1');
    expect(f).toContain('pg1 patroni: "');
    expect(f).toContain('events of pg1');
    await press(stdin, KEY.tab);
    f = (await frameWhen(lastFrame, (t) => t.includes('▸pg2'))).join('\n');
    expect(f).toContain('▸pg2');
    expect(f).not.toContain('▸pg1');
    await press(stdin, '0');
    f = (await frameWhen(lastFrame, (t) => t.includes('focus cleared'))).join('\n');
    expect(f).not.toMatch(/▸pg\d/);
    expect(f).toMatch(/events \(\d+/);
  });

  it('? shows the help overlay and any key hides it', async () => {
    const { lastFrame, stdin } = render(<ReplayApp model={m} size={SIZE} color={false} />);
    await frameWhen(lastFrame, (t) => t.includes('haywire replay'));
    await press(stdin, '?');
    let f = (await frameWhen(lastFrame, (t) => t.includes('next / previous incident'))).join('\n');
    expect(f).toContain('next / previous incident');
    expect(f).toContain('█ primary');
    expect(frameLines(lastFrame())).toHaveLength(24);
    await press(stdin, 'x');
    f = (await frameWhen(lastFrame, (t) => t.includes('events ('))).join('\n');
    expect(f).not.toContain('next / previous incident');
    expect(f).toContain('events (');
  });

  it('space plays (the cursor moves with the speed) and pauses', async () => {
    const { lastFrame, stdin } = render(<ReplayApp model={m} atUs={10_000_000} size={SIZE} color={false} tickMs={10} />);
    await frameWhen(lastFrame, (t) => t.includes('haywire replay'));
    await press(stdin, '+', '+', '+', '+', '+'); // 1x → 50x
    await frameWhen(lastFrame, (t) => t.includes('|| 50x'));
    await press(stdin, ' ');
    const playing = header(await frameWhen(lastFrame, (t) => t.includes('▶ 50x')));
    expect(playing).toContain('▶ 50x');
    await tick(200);
    await press(stdin, ' ');
    const paused = header(await frameWhen(lastFrame, (t) => t.includes('|| 50x')));
    expect(paused).toContain('|| 50x');
    const t = Number(/ ([\d.]+)s \/ 80s$/.exec(paused)![1]);
    expect(t).toBeGreaterThan(12); // ≥ 0.2 s of wall time at 50x, at least
    await tick(100);
    expect(header(frameLines(lastFrame()))).toBe(paused);
  });
});

class FakeStdout extends EventEmitter {
  isTTY = true;
  columns = 80;
  rows = 25;
  readonly chunks: string[] = [];
  write(s: string): boolean {
    this.chunks.push(s);
    return true;
  }
  get text(): string {
    return this.chunks.join('');
  }
}

class FakeStdin extends EventEmitter {
  isTTY = true;
  readonly raw: boolean[] = [];
  private data: string | null = null;
  setRawMode(on: boolean): this {
    this.raw.push(on);
    return this;
  }
  setEncoding(): void {}
  resume(): void {}
  pause(): void {}
  ref(): void {}
  unref(): void {}
  read(): string | null {
    const d = this.data;
    this.data = null;
    return d;
  }
  type(s: string): void {
    this.data = s;
    this.emit('readable');
    this.emit('data', s);
  }
}

function terminal(): { streams: TerminalStreams; stdin: FakeStdin; stdout: FakeStdout } {
  const stdin = new FakeStdin();
  const stdout = new FakeStdout();
  const stderr = new FakeStdout();
  return { stdin, stdout, streams: { stdin: stdin as unknown as NodeJS.ReadStream, stdout: stdout as unknown as NodeJS.WriteStream, stderr: stderr as unknown as NodeJS.WriteStream } };
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** ink listens to stdin once it has put the terminal in raw mode. */
async function inputReady(t: ReturnType<typeof terminal>): Promise<void> {
  await vi.waitFor(() => expect(t.stdin.raw).toContain(true), { timeout: 5000, interval: 10 });
}
const listeners = (): number[] => [...SIGNALS, 'exit'].map((s) => process.listenerCount(s));

function expectRestored(t: ReturnType<typeof terminal>, before: number[]): void {
  expect(t.stdout.text.startsWith(ENTER_ALT_SCREEN)).toBe(true);
  expect(t.stdout.text.endsWith(`${SHOW_CURSOR}${LEAVE_ALT_SCREEN}`)).toBe(true);
  expect(t.stdin.raw[t.stdin.raw.length - 1]).toBe(false);
  expect(listeners()).toEqual(before);
}

afterEach(() => vi.restoreAllMocks());

describe('the interactive session', () => {
  const m = smallRun();

  // ink's cursor restoration (restore-cursor via signal-exit) installs its process handlers once,
  // for good: count ours against what is there after a first session
  beforeAll(async () => {
    const t = terminal();
    const done = runInteractive(m, { streams: t.streams });
    await inputReady(t);
    t.stdin.type('q');
    await done;
  });

  it('draws the replay on the alternate screen; q quits and gives the terminal back', async () => {
    const t = terminal();
    const before = listeners();
    const done = runInteractive(m, { streams: t.streams, atUs: 41_200_000 });
    await inputReady(t);
    expect(t.stdin.raw).toContain(true);
    expect(t.stdout.text).toContain('haywire replay · small-partition');
    expect(t.stdout.text).toContain('41.2s / 80s');
    t.stdin.type('q');
    await done;
    expectRestored(t, before);
  });

  it('Ctrl-C quits the same way (raw mode: it arrives as a key)', async () => {
    const t = terminal();
    const before = listeners();
    const done = runInteractive(m, { streams: t.streams });
    await inputReady(t);
    t.stdin.type('\u0003');
    await done;
    expectRestored(t, before);
  });

  it('a signal ends it and restores the terminal', async () => {
    const t = terminal();
    const before = listeners();
    const done = runInteractive(m, { streams: t.streams });
    await inputReady(t);
    process.emit('SIGHUP', 'SIGHUP');
    await done;
    expectRestored(t, before);
  });

  it('an error while rendering rejects after restoring the terminal', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => {});
    const broken: ReplayModel = {
      ...m,
      entries: (focus) => {
        if (focus === 'pg2') throw new Error('the log broke');
        return m.entries(focus);
      },
    };
    const t = terminal();
    const before = listeners();
    const done = runInteractive(broken, { streams: t.streams });
    const failed = expect(done).rejects.toThrow('the log broke');
    await inputReady(t);
    t.stdin.type('2');
    await failed;
    expectRestored(t, before);
  });
});
