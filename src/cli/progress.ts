// A progress line on stderr for runs that take more than a moment: drawn only on a terminal, only
// after the first half second, redrawn at most ten times a second, erased when done.

export interface ProgressSink {
  readonly errIsTTY: boolean;
  err(text: string): void;
}

export class Progress {
  private readonly startedMs: number;
  private lastDrawMs = 0;
  private drawn = false;

  constructor(
    private readonly io: ProgressSink,
    private readonly now: () => number = () => Date.now(),
    private readonly delayMs = 500,
  ) {
    this.startedMs = now();
  }

  /** Show `text` (one line; cut to the terminal width by the caller's brevity). */
  update(text: string): void {
    if (!this.io.errIsTTY) return;
    const t = this.now();
    if (t - this.startedMs < this.delayMs) return;
    if (this.drawn && t - this.lastDrawMs < 100) return;
    this.lastDrawMs = t;
    this.drawn = true;
    this.io.err(`\r\x1b[2K${text}`);
  }

  /** Erase the line (before printing results). */
  clear(): void {
    if (this.drawn) this.io.err('\r\x1b[2K');
    this.drawn = false;
  }
}
