// Where the CLI writes, and what it knows about the terminal. Commands take a `CliIo` instead of
// touching `process` so tests can run them in-process and read what they printed.

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** stderr is a terminal (progress lines are drawn only then). */
  readonly errIsTTY: boolean;
  /** stdout is a terminal and NO_COLOR is not set. */
  readonly color: boolean;
  /** Current directory, to show paths relative to it. */
  readonly cwd: string;
}

/** The real process's streams. */
export function processIo(): CliIo {
  return {
    out: (t) => void process.stdout.write(t),
    err: (t) => void process.stderr.write(t),
    errIsTTY: Boolean(process.stderr.isTTY),
    color: Boolean(process.stdout.isTTY) && process.env.NO_COLOR === undefined,
    cwd: process.cwd(),
  };
}

/** An in-memory `CliIo` for tests. */
export function bufferIo(opts: { errIsTTY?: boolean; cwd?: string } = {}): CliIo & { stdout: string; stderr: string } {
  const io = {
    stdout: '',
    stderr: '',
    out(t: string): void {
      io.stdout += t;
    },
    err(t: string): void {
      io.stderr += t;
    },
    errIsTTY: opts.errIsTTY ?? false,
    color: false,
    cwd: opts.cwd ?? process.cwd(),
  };
  return io;
}
