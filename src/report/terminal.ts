// The terminal summary: per run, incidents first (most severe first, each with its explanation and
// replay command), then metrics and expectations; a one-line total for several runs. Colour via
// chalk, on only when the stream is a TTY and NO_COLOR is not set (FORCE_COLOR forces it).
import { Chalk, type ChalkInstance } from 'chalk';
import type { RunResult } from './analyze.js';
import { fmtBytes, plural, type Incident, type Severity } from './incident.js';

export interface TerminalOptions {
  color: boolean;
  /** Wrap explanations at this many columns (default 100; 0: no wrapping). */
  width?: number;
}

/** Colour decision: NO_COLOR (any non-empty value) wins, then FORCE_COLOR, then whether it is a TTY. */
export function shouldUseColor(stream: { isTTY?: boolean }, env: Readonly<Record<string, string | undefined>>): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false';
  return stream.isTTY === true;
}

const SEVERITY_RANK: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };

function wrap(text: string, indent: string, width: number): string {
  if (width <= 0) return indent + text;
  const words = text.split(/\s+/);
  const lines: string[] = [];
  let line = indent;
  for (const w of words) {
    if (line.length > indent.length && line.length + 1 + w.length > width) {
      lines.push(line);
      line = indent + w;
    } else line = line.length > indent.length ? `${line} ${w}` : line + w;
  }
  if (line.length > indent.length) lines.push(line);
  return lines.join('\n');
}

function sec(ms: number): string {
  return `${(ms / 1000).toFixed(3).replace(/\.?0+$/, '')} s`;
}

function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return sec(ms);
}

function severityTag(c: ChalkInstance, s: Severity): string {
  const label = s.toUpperCase().padEnd(8);
  return s === 'critical' ? c.bold.red(label) : s === 'warning' ? c.yellow(label) : c.cyan(label);
}

function incidentLines(c: ChalkInstance, i: Incident, width: number): string[] {
  const writes = i.writes.length > 0 ? `  ${plural(i.writes.length, 'write')}` : '';
  return [
    `  ${severityTag(c, i.severity)} ${c.bold(i.kind)}  ${sec(i.startMs)} → ${sec(i.endMs)} (${duration(i.endMs - i.startMs)})  ${i.nodes.join(', ')}${writes}`,
    wrap(i.explanation, '      ', width),
    `      ${c.dim('replay:')} ${i.replay}`,
  ];
}

export function renderRun(run: RunResult, opts: TerminalOptions): string {
  const c = new Chalk({ level: opts.color ? 1 : 0 });
  const width = opts.width ?? 100;
  const pass = run.verdict === 'pass';
  const out: string[] = [];
  out.push(`${pass ? c.green('✓') : c.red('✗')} ${c.bold(run.scenario || '(unnamed run)')}  seed ${run.seed}  trace ${run.traceHash || '-'}  ${pass ? c.green('PASS') : c.bold.red('FAIL')}`);
  const incidents = [...run.incidents].sort((a, b) => SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] || a.startMs - b.startMs);
  if (incidents.length === 0) out.push(`  ${c.green('no incidents')}`);
  for (const i of incidents) out.push(...incidentLines(c, i, width));
  const m = run.metrics;
  const parts = [
    `availability ${m.writeAvailability === null ? 'n/a' : `${(m.writeAvailability * 100).toFixed(2)}%`}`,
    `max unavailable ${duration(m.maxUnavailableMs)}`,
    `failovers ${m.failovers}`,
    `switchovers ${m.switchovers}`,
    `lost ${plural(m.lostWrites, 'write')}${m.lostBytes > 0 ? ` (${fmtBytes(m.lostBytes)})` : ''}`,
  ];
  if (m.maxRecoveryMs !== null) parts.push(`max recovery ${duration(m.maxRecoveryMs)}`);
  if (m.splitBrainMs > 0) parts.push(`two primaries ${duration(m.splitBrainMs)}`);
  if (m.indeterminateWrites.total > 0) parts.push(`${m.indeterminateWrites.total} indeterminate (${m.indeterminateWrites.inFinalHistory} applied)`);
  out.push(wrap(`${c.dim('metrics')} ${parts.join(' · ')}`, '  ', width));
  if (run.expectations.length > 0) {
    const ex = run.expectations.map((e) => (e.ok ? `${c.green('✓')} ${e.name} ${e.expected}` : `${c.red('✗')} ${e.name} ${e.expected} ${c.red(`(got ${String(e.actual)})`)}`));
    out.push(wrap(`${c.dim('expect')} ${ex.join('  ')}`, '  ', width));
  }
  out.push(`  ${c.dim('final history:')} ${run.finalHistory.why}`);
  return out.join('\n');
}

/** The whole summary: every run, then a total line when there are several. */
export function renderTerminal(runs: readonly RunResult[], opts: TerminalOptions): string {
  const c = new Chalk({ level: opts.color ? 1 : 0 });
  const blocks = runs.map((r) => renderRun(r, opts));
  if (runs.length > 1) {
    const failed = runs.filter((r) => r.verdict === 'fail').length;
    const incidents = runs.reduce((a, r) => a + r.incidents.length, 0);
    const critical = runs.reduce((a, r) => a + r.incidents.filter((i) => i.severity === 'critical').length, 0);
    blocks.push(
      `${plural(runs.length, 'run')}: ${c.green(`${runs.length - failed} passed`)}, ${failed > 0 ? c.red(`${failed} failed`) : '0 failed'}; ${plural(incidents, 'incident')}${critical > 0 ? ` (${c.red(`${critical} critical`)})` : ''}`,
    );
  }
  return `${blocks.join('\n\n')}\n`;
}
