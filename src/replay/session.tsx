// Starting and ending the interactive replay in a real terminal, and the static frame of `--print`.
// The terminal is always given back as it was: the alternate screen is left, the cursor shown and
// raw mode turned off when the app quits, when it fails, on SIGINT/SIGTERM/SIGHUP, and even when
// the process exits underneath it.
import { render, renderToString } from 'ink';
import { ReplayApp } from './App.js';
import { ReplayScreen } from './components.js';
import type { ReplayModel } from './model.js';
import type { ScreenSize } from './screen.js';
import { initialState } from './state.js';

/** xterm's alternate screen, cursor visibility. */
export const ENTER_ALT_SCREEN = '\u001B[?1049h\u001B[H\u001B[2J';
export const LEAVE_ALT_SCREEN = '\u001B[?1049l';
export const SHOW_CURSOR = '\u001B[?25h';

export interface TerminalStreams {
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
}

export interface InteractiveOptions {
  atUs?: number;
  color?: boolean;
  /** Use the alternate screen (default true): the shell's screen comes back on quit. */
  altScreen?: boolean;
  streams?: TerminalStreams;
  tickMs?: number;
  /** A fixed size instead of the terminal's (tests). */
  size?: ScreenSize;
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** Run the interactive replay until the user quits; rejects if the app fails (after restoring the terminal). */
export async function runInteractive(model: ReplayModel, opts: InteractiveOptions = {}): Promise<void> {
  const streams = opts.streams ?? { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr };
  const alt = opts.altScreen ?? true;
  let restored = false;
  const restore = (): void => {
    if (restored) return;
    restored = true;
    try {
      if (streams.stdin.isTTY && typeof streams.stdin.setRawMode === 'function') streams.stdin.setRawMode(false);
    } catch {
      // the terminal may be gone already
    }
    streams.stdout.write(`${SHOW_CURSOR}${alt ? LEAVE_ALT_SCREEN : ''}`);
  };
  let instance: ReturnType<typeof render> | undefined;
  const onSignal = (): void => instance?.unmount();
  process.once('exit', restore);
  for (const s of SIGNALS) process.once(s, onSignal);
  try {
    if (alt) streams.stdout.write(ENTER_ALT_SCREEN);
    instance = render(
      <ReplayApp model={model} {...(opts.atUs !== undefined ? { atUs: opts.atUs } : {})} {...(opts.size ? { size: opts.size } : {})} color={opts.color ?? true} {...(opts.tickMs !== undefined ? { tickMs: opts.tickMs } : {})} />,
      { stdin: streams.stdin, stdout: streams.stdout, stderr: streams.stderr, exitOnCtrlC: false, patchConsole: false },
    );
    await instance.waitUntilExit();
  } finally {
    try {
      instance?.unmount();
    } catch {
      // already unmounted
    }
    instance?.cleanup();
    restore();
    process.removeListener('exit', restore);
    for (const s of SIGNALS) process.removeListener(s, onSignal);
  }
}

/** One frame as text, for scripts (`haywire replay --print`) and the README. */
export function renderFrame(model: ReplayModel, opts: { atUs?: number; size: ScreenSize; color?: boolean }): string {
  const state = initialState(model, opts.atUs);
  const out = renderToString(<ReplayScreen model={model} state={state} size={opts.size} color={opts.color ?? false} />, { columns: opts.size.cols });
  return out
    .split('\n')
    .map((l) => l.replace(/\s+$/, ''))
    .join('\n');
}
