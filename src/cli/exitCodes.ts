// Exit codes of the `haywire` command (docs/scenario-format.md, README).
export const EXIT = {
  /** Every expectation held; no unexpected incident. */
  ok: 0,
  /** An expectation failed or an unexpected incident occurred. */
  failed: 1,
  /** Bad input: a scenario that does not parse or validate, an unknown option, a missing file. */
  badInput: 2,
  /** haywire could not do it: a command or model that is not there yet, or an internal error. */
  cannot: 3,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error that ends a command with a message (no stack trace) and an exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
