// The trace file (`--trace FILE`): NDJSON, streamed while the run goes.
//   line 1:  {"format":"haywire-trace","version":1,"scenario":…,"seed":…}        (header)
//   then:    one record per line, `recordLine(rec)` = {"t":…,"k":"…",…fields}
//   last:    {"format":"haywire-trace-end","records":N,"traceHash":"…"}        (footer, if closed)
// The writer buffers and writes synchronously (a run is synchronous code), so memory stays flat.
// The reader streams too: it yields records without holding the file in memory.
import { closeSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { recordLine, type TraceRecord } from '../sim/kernel/trace.js';

export const TRACE_FORMAT = 'haywire-trace';
export const TRACE_END_FORMAT = 'haywire-trace-end';
export const TRACE_VERSION = 1;

export interface TraceHeader {
  format: typeof TRACE_FORMAT;
  version: number;
  scenario: string;
  seed: string;
  /** Anything else the writer wants to keep (haywire version, options...). */
  [key: string]: unknown;
}

export interface TraceFooter {
  format: typeof TRACE_END_FORMAT;
  records: number;
  traceHash: string;
}

const FLUSH_BYTES = 1 << 16;

export class TraceFileWriter {
  private fd: number | null;
  private buf: string[] = [];
  private bufBytes = 0;
  private n = 0;

  constructor(
    readonly path: string,
    header: { scenario: string; seed: string; [key: string]: unknown },
  ) {
    this.fd = openSync(path, 'w');
    const h: TraceHeader = { ...header, format: TRACE_FORMAT, version: TRACE_VERSION, scenario: header.scenario, seed: header.seed };
    this.line(JSON.stringify(h));
  }

  private line(s: string): void {
    this.buf.push(s);
    this.bufBytes += s.length + 1;
    if (this.bufBytes >= FLUSH_BYTES) this.flush();
  }

  flush(): void {
    if (this.fd === null || this.buf.length === 0) return;
    writeSync(this.fd, `${this.buf.join('\n')}\n`);
    this.buf = [];
    this.bufBytes = 0;
  }

  /** A trace listener: `trace.subscribe(writer.push)`. */
  readonly push = (rec: TraceRecord): void => {
    if (this.fd === null) throw new Error(`trace file ${this.path} is closed`);
    this.n++;
    this.line(recordLine(rec));
  };

  get records(): number {
    return this.n;
  }

  /** Write the footer and close the file. */
  close(traceHash: string): void {
    if (this.fd === null) return;
    const f: TraceFooter = { format: TRACE_END_FORMAT, records: this.n, traceHash };
    this.line(JSON.stringify(f));
    this.flush();
    closeSync(this.fd);
    this.fd = null;
  }

  /** The run did not finish (it could not run, or failed): close and remove the file, so that a
   * trace file on disk is always a whole run with its footer. */
  abandon(): void {
    if (this.fd === null) return;
    closeSync(this.fd);
    this.fd = null;
    this.buf = [];
    rmSync(this.path, { force: true });
  }
}

export class TraceFileError extends Error {}

/** Lines of a file, read in chunks. */
function* lines(path: string): Generator<string> {
  const fd = openSync(path, 'r');
  try {
    const chunk = Buffer.alloc(1 << 16);
    let rest = '';
    for (;;) {
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      const text = rest + chunk.toString('utf8', 0, n);
      const parts = text.split('\n');
      rest = parts.pop() ?? '';
      for (const p of parts) if (p !== '') yield p;
    }
    if (rest !== '') yield rest;
  } finally {
    closeSync(fd);
  }
}

export interface TraceFileReader {
  header: TraceHeader;
  /** The records, streamed; `footer` is set once they are exhausted (null if the file has none). */
  records(): Generator<TraceRecord>;
  footer: TraceFooter | null;
}

/** Open a trace file: validates the header; records are read lazily, one pass. */
export function openTraceFile(path: string): TraceFileReader {
  const it = lines(path);
  const first = it.next();
  if (first.done) throw new TraceFileError(`${path}: empty file, not a haywire trace`);
  let header: TraceHeader;
  try {
    header = JSON.parse(first.value) as TraceHeader;
  } catch {
    throw new TraceFileError(`${path}: the first line is not JSON; not a haywire trace`);
  }
  if (header.format !== TRACE_FORMAT) throw new TraceFileError(`${path}: not a haywire trace (header format "${String(header.format)}")`);
  if (typeof header.version !== 'number' || header.version > TRACE_VERSION) {
    throw new TraceFileError(`${path}: trace format version ${String(header.version)} is newer than this haywire reads (${TRACE_VERSION})`);
  }
  const reader: TraceFileReader = {
    header,
    footer: null,
    *records(): Generator<TraceRecord> {
      let lineNo = 1;
      for (const l of it) {
        lineNo++;
        let v: unknown;
        try {
          v = JSON.parse(l);
        } catch {
          throw new TraceFileError(`${path}:${lineNo}: not a JSON line`);
        }
        const o = v as Record<string, unknown>;
        if (o.format === TRACE_END_FORMAT) {
          reader.footer = o as unknown as TraceFooter;
          continue;
        }
        if (typeof o.t !== 'number' || typeof o.k !== 'string') throw new TraceFileError(`${path}:${lineNo}: not a trace record`);
        yield o as unknown as TraceRecord;
      }
    },
  };
  return reader;
}
