// The trace: a typed, append-only record of everything that happened in a run, with a running
// hash. Each module declares its own record kinds by merging into `TraceMap`:
//
//   declare module '../kernel/trace.js' {
//     interface TraceMap { 'pg.promote': { node: string; timeline: number } }
//   }
//
// A record is `{ t, k, ...fields }` with `t` in true microseconds; its file form is one JSON line
// (`recordLine`). The running hash mixes every record's time, kind, field names and values, so the
// hash is the same on every machine for the same scenario and seed. Listeners (history recorders, sinks that stream
// NDJSON to a file) see every record as it is appended; the trace holds records in memory only
// when asked to, so long runs stay flat in memory.
import type { Micros } from './time.js';

/** Record kinds and their fields; extended by declaration merging in each module. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface TraceMap {}

export type TraceKind = keyof TraceMap & string;

export type TraceRecordOf<K extends TraceKind> = { t: Micros; k: K } & TraceMap[K];

/** The discriminated union of every declared record. */
export type TraceRecord = { [K in TraceKind]: TraceRecordOf<K> }[TraceKind];

export type TraceListener = (rec: TraceRecord) => void;

/** Categories that can be switched off for speed (they are then neither hashed nor emitted). */
export type TraceDetail = 'messages';

export interface TraceOptions {
  /** Keep every record in memory (tests, short runs, the replay). Default false. */
  keep?: boolean;
  /** Record every delivered message (`net.msg`; drops are always recorded). Default false. */
  messages?: boolean;
}

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

/**
 * A 64-bit running hash as two 32-bit multiplicative lanes (FNV-1a style, different primes).
 * It mixes strings by character and numbers by value (integers directly, others by their IEEE-754
 * bits), so it is the same on every machine and costs no string formatting.
 */
export class RunningHash {
  private h1 = 0x811c9dc5;
  private h2 = 0xcbf29ce4;

  str(s: string): void {
    let h1 = this.h1;
    let h2 = this.h2;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 0x01000193);
      h2 = Math.imul(h2 ^ c, 0x5bd1e995);
    }
    // terminator, so that ("ab","c") and ("a","bc") differ
    this.h1 = Math.imul(h1 ^ 0xff, 0x01000193);
    this.h2 = Math.imul(h2 ^ 0xff, 0x5bd1e995);
  }

  num(v: number): void {
    let a: number;
    let b: number;
    if ((v | 0) === v) {
      a = v;
      b = 0x9e3779b9;
    } else {
      f64[0] = v;
      a = u32[0] as number;
      b = u32[1] as number;
    }
    this.h1 = Math.imul(Math.imul(this.h1 ^ a, 0x01000193) ^ b, 0x01000193);
    this.h2 = Math.imul(Math.imul(this.h2 ^ b, 0x5bd1e995) ^ a, 0x5bd1e995);
  }

  /** Mix any JSON-like value. */
  value(v: unknown): void {
    switch (typeof v) {
      case 'number':
        this.num(v);
        return;
      case 'string':
        this.str(v);
        return;
      case 'boolean':
        this.num(v ? 0x7f4a7c15 : 0x2545f491);
        return;
      case 'undefined':
        this.num(0x61c88647);
        return;
      default:
        if (v === null) this.num(0x3c6ef372);
        else if (Array.isArray(v)) {
          this.num(v.length);
          for (const x of v) this.value(x);
        } else {
          const o = v as Record<string, unknown>;
          for (const key in o) {
            this.str(key);
            this.value(o[key]);
          }
          this.num(0x6a09e667);
        }
    }
  }

  /**
   * Mix a record: its time, kind, then each field's name and value — exactly `num(t)`, `str(k)`,
   * then `str(key)`, `value(v)` per field, with the state kept in locals for the flat fields that
   * make up nearly every record (strings and small integers); anything else goes through `value`.
   */
  record(t: number, k: string, o: Record<string, unknown>): void {
    this.num(t);
    let h1 = this.h1;
    let h2 = this.h2;
    for (let i = 0; i < k.length; i++) {
      const c = k.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 0x01000193);
      h2 = Math.imul(h2 ^ c, 0x5bd1e995);
    }
    h1 = Math.imul(h1 ^ 0xff, 0x01000193);
    h2 = Math.imul(h2 ^ 0xff, 0x5bd1e995);
    for (const key in o) {
      for (let i = 0; i < key.length; i++) {
        const c = key.charCodeAt(i);
        h1 = Math.imul(h1 ^ c, 0x01000193);
        h2 = Math.imul(h2 ^ c, 0x5bd1e995);
      }
      h1 = Math.imul(h1 ^ 0xff, 0x01000193);
      h2 = Math.imul(h2 ^ 0xff, 0x5bd1e995);
      const v = o[key];
      if (typeof v === 'string') {
        for (let i = 0; i < v.length; i++) {
          const c = v.charCodeAt(i);
          h1 = Math.imul(h1 ^ c, 0x01000193);
          h2 = Math.imul(h2 ^ c, 0x5bd1e995);
        }
        h1 = Math.imul(h1 ^ 0xff, 0x01000193);
        h2 = Math.imul(h2 ^ 0xff, 0x5bd1e995);
      } else if (typeof v === 'number' && (v | 0) === v) {
        h1 = Math.imul(Math.imul(h1 ^ v, 0x01000193) ^ 0x9e3779b9, 0x01000193);
        h2 = Math.imul(Math.imul(h2 ^ 0x9e3779b9, 0x5bd1e995) ^ v, 0x5bd1e995);
      } else {
        this.h1 = h1;
        this.h2 = h2;
        this.value(v);
        h1 = this.h1;
        h2 = this.h2;
      }
    }
    this.h1 = h1;
    this.h2 = h2;
  }

  digest(): string {
    return (this.h1 >>> 0).toString(16).padStart(8, '0') + (this.h2 >>> 0).toString(16).padStart(8, '0');
  }
}

/** The canonical NDJSON line of a record: `{"t":…,"k":"…",…fields}`. */
export function recordLine(rec: TraceRecord): string {
  return JSON.stringify(rec);
}

export class Trace {
  private readonly hash = new RunningHash();
  private readonly listeners: TraceListener[] = [];
  private readonly kept: TraceRecord[] | null;
  private count = 0;
  /** Whether per-message send/deliver records are emitted. Callers check before building them. */
  readonly messages: boolean;

  constructor(
    private readonly now: () => Micros,
    opts: TraceOptions = {},
  ) {
    this.kept = opts.keep ? [] : null;
    this.messages = opts.messages ?? false;
  }

  /** Append a record stamped with the current true time. */
  emit<K extends TraceKind>(k: K, fields: TraceMap[K]): void {
    const t = this.now();
    this.hash.record(t, k, fields as Record<string, unknown>);
    this.count++;
    if (this.kept !== null || this.listeners.length > 0) {
      const rec = { t, k, ...fields } as unknown as TraceRecord;
      if (this.kept !== null) this.kept.push(rec);
      for (const l of this.listeners) l(rec);
    }
  }

  /**
   * Fast path for the most frequent record, one per delivered message (`net.msg`): the same
   * hash as `emit('net.msg', { id, from, to, what, sentUs })`, without the generic field walk.
   */
  emitMessage(id: number, from: string, to: string, what: string, sentUs: number): void {
    const t = this.now();
    const h = this.hash;
    h.num(t);
    h.str('net.msg');
    h.str('id');
    h.num(id);
    h.str('from');
    h.str(from);
    h.str('to');
    h.str(to);
    h.str('what');
    h.str(what);
    h.str('sentUs');
    h.num(sentUs);
    this.count++;
    if (this.kept !== null || this.listeners.length > 0) {
      const rec = { t, k: 'net.msg', id, from, to, what, sentUs } as unknown as TraceRecord;
      if (this.kept !== null) this.kept.push(rec);
      for (const l of this.listeners) l(rec);
    }
  }

  subscribe(listener: TraceListener): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  /** Records kept in memory (empty unless constructed with `keep`). */
  records(): readonly TraceRecord[] {
    return this.kept ?? [];
  }

  get length(): number {
    return this.count;
  }

  /** The running hash of every record so far: the run's `traceHash`. */
  digest(): string {
    return this.hash.digest();
  }
}

/** Narrow a record to one kind. */
export function isKind<K extends TraceKind>(rec: TraceRecord, k: K): rec is TraceRecord & TraceRecordOf<K> {
  return rec.k === k;
}
