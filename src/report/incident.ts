// Incidents: what the detectors find and every output prints, and the formatting helpers their
// sentences share (durations, instants, LSNs, byte counts).

export const INCIDENT_KINDS = ['split-brain', 'lost-write', 'divergence', 'false-failover', 'missed-failover', 'undetected-partition'] as const;
export type IncidentKind = (typeof INCIDENT_KINDS)[number];

/** critical: data at risk or lost; warning: misjudgment or divergence that healed; info: by design. */
export type Severity = 'critical' | 'warning' | 'info';

export interface Incident {
  /** Stable within a run: kind prefix and ordinal ("split-brain-1"). */
  id: string;
  kind: IncidentKind;
  severity: Severity;
  /** Virtual milliseconds since the start of the run (true time). */
  startMs: number;
  endMs: number;
  nodes: string[];
  /** Client write ids involved (acknowledged ones unless `details` says otherwise). */
  writes: number[];
  /** One plain sentence a Patroni operator understands. */
  explanation: string;
  /** The command that replays the run up to the incident. */
  replay: string;
  /** The facts from the records the explanation rests on, one line each. */
  evidence: string[];
  /** Kind-specific structured data (documented in docs/report-schema.md). */
  details: Record<string, unknown>;
}

/** What a detector returns; the analyzer assigns `id` and `replay`. */
export type IncidentDraft = Omit<Incident, 'id' | 'replay'> & { startUs: number; endUs: number };

export function draft(kind: IncidentKind, severity: Severity, startUs: number, endUs: number, rest: Pick<Incident, 'nodes' | 'writes' | 'explanation' | 'evidence' | 'details'>): IncidentDraft {
  return { kind, severity, startUs, endUs, startMs: usToMsExact(startUs), endMs: usToMsExact(Math.max(endUs, startUs)), ...rest };
}

/** µs → ms with µs precision and no float noise. */
export function usToMsExact(us: number): number {
  if (!Number.isFinite(us)) return us;
  return Math.round(us) / 1000;
}

function trim(x: number, digits: number): string {
  const s = x.toFixed(digits);
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}

/** A duration for sentences: "7.2 s", "41 s", "350 ms", "2 min 5 s". */
export function fmtDuration(us: number): string {
  if (!Number.isFinite(us)) return 'until the end of the run';
  const ms = us / 1000;
  if (ms < 1000) return `${trim(ms, ms < 10 ? 1 : 0)} ms`;
  const s = ms / 1000;
  if (s < 100) return `${trim(s, 1)} s`;
  if (s < 600) return `${Math.round(s)} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${Math.round(s - m * 60)} s`;
}

/** An instant in virtual time for sentences: "41.2 s". */
export function fmtAt(us: number): string {
  return `${trim(us / 1_000_000, 3)} s`;
}

/** PostgreSQL's LSN notation: "0/3000060". */
export function fmtLsn(lsn: number): string {
  if (!Number.isFinite(lsn) || lsn < 0) return String(lsn);
  const hi = Math.floor(lsn / 2 ** 32);
  const lo = lsn - hi * 2 ** 32;
  return `${hi.toString(16).toUpperCase()}/${lo.toString(16).toUpperCase()}`;
}

export function fmtBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${trim(v, 1)} ${units[i]}`;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** "a", "a and b", "a, b and c". */
export function listText(xs: readonly string[]): string {
  if (xs.length <= 1) return xs[0] ?? '';
  return `${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1]}`;
}

/** A compact list of write ids: "#12–#15, #20" (at most `max` groups). */
export function fmtWriteIds(ids: readonly number[], max = 6): string {
  const s = [...ids].sort((a, b) => a - b);
  const groups: string[] = [];
  let i = 0;
  while (i < s.length) {
    let j = i;
    while (j + 1 < s.length && (s[j + 1] as number) === (s[j] as number) + 1) j++;
    groups.push(i === j ? `#${s[i]}` : `#${s[i]}–#${s[j]}`);
    i = j + 1;
  }
  if (groups.length <= max) return groups.join(', ');
  return `${groups.slice(0, max).join(', ')} and ${plural(groups.length - max, 'more range')}`;
}

/** The replay command: `haywire replay scenarios/x.yaml --seed 7 --at 41.2s`. */
export function replayCommand(scenario: string, seed: string, atUs: number): string {
  const file = scenario === '' ? '<scenario>' : scenario;
  const q = (s: string): string => (/^[\w./@%+=:,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
  return `haywire replay ${q(file)} --seed ${q(seed === '' ? '0' : seed)} --at ${trim(Math.max(0, atUs) / 1_000_000, 3)}s`;
}
