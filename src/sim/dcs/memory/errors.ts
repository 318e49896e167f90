// Errors the non-shipped stores raise at deployment time and while serving requests.

/**
 * A DCS deployment that cannot work as configured (a multi-node cluster on the memory store, an
 * unknown option...). The scenario layer reports it as a configuration error: it names the
 * backend and says why.
 */
export class DcsConfigurationError extends Error {
  constructor(
    readonly backend: string,
    readonly reason: string,
  ) {
    super(`${backend} DCS: ${reason}`);
    this.name = 'DcsConfigurationError';
  }
}

/**
 * A transient store failure a client retries within `retry_timeout` (connection refused, timed
 * out or reset; a Redis READONLY / LOADING reply; a DynamoDB 5xx / throttling reply; a PostgreSQL
 * server in recovery). After the deadline it becomes a `DCSError`.
 */
export class StoreUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreUnavailable';
  }
}

/** Read a number option, with a default; anything else is a configuration error. */
export function numberOption(backend: string, options: Record<string, unknown>, name: string, dflt: number): number {
  const v = options[name];
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
    throw new DcsConfigurationError(backend, `option ${name} must be a non-negative number (got ${JSON.stringify(v)})`);
  }
  return v;
}

export function booleanOption(backend: string, options: Record<string, unknown>, name: string, dflt: boolean): boolean {
  const v = options[name];
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean') throw new DcsConfigurationError(backend, `option ${name} must be true or false (got ${JSON.stringify(v)})`);
  return v;
}

export function stringOption<T extends string>(backend: string, options: Record<string, unknown>, name: string, allowed: readonly T[], dflt: T): T {
  const v = options[name];
  if (v === undefined) return dflt;
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    throw new DcsConfigurationError(backend, `option ${name} must be one of ${allowed.join(', ')} (got ${JSON.stringify(v)})`);
  }
  return v as T;
}

/** Refuse options the backend does not know (a typo must not silently fall back to a default). */
export function rejectUnknownOptions(backend: string, options: Record<string, unknown>, known: readonly string[]): void {
  for (const k of Object.keys(options).sort()) {
    if (!known.includes(k)) throw new DcsConfigurationError(backend, `unknown option "${k}" (known: ${known.join(', ')})`);
  }
}
