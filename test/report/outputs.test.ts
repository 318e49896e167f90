// The outputs: the JSON schema's shape (pinned: a change here is a schema change), JUnit that is
// well-formed XML with one test case per expectation, terminal colour on and off, the NDJSON trace
// file round trip from a real simulated run.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeRecords, analyzeTraceFile } from '../../src/report/analyze.js';
import { reportJson, SCHEMA_VERSION } from '../../src/report/json.js';
import { junitXml } from '../../src/report/junit.js';
import { renderTerminal, shouldUseColor } from '../../src/report/terminal.js';
import { openTraceFile, TraceFileError, TraceFileWriter } from '../../src/report/traceFile.js';
import { INCIDENT_KINDS } from '../../src/report/incident.js';
import { buildTimeline, cursorAt } from '../../src/report/timeline.js';
import { smallWorld, Recorder, Echo, Shell } from '../helpers/world.js';
import { parseXml, type XmlElement } from './helpers/xml.js';
import { asyncFailover, clientCut, pausedPrimary, replicaCut } from './fixtures/scenarios.js';

/** The shape of a JSON value: leaf types ("a|b" for unions), object keys, array element shapes merged. */
function shapeOf(v: unknown, path = ''): unknown {
  if (v === null) return 'null';
  if (Array.isArray(v)) return [v.map((x) => shapeOf(x, `${path}[]`)).reduce(mergeShape, 'empty')];
  if (typeof v === 'object') {
    if (path.endsWith('.details')) return 'object';
    const o: Record<string, unknown> = {};
    for (const k of Object.keys(v as object).sort()) o[k] = shapeOf((v as Record<string, unknown>)[k], `${path}.${k}`);
    return o;
  }
  return typeof v;
}

function mergeShape(a: unknown, b: unknown): unknown {
  if (a === 'empty') return b;
  if (b === 'empty') return a;
  if (Array.isArray(a) && Array.isArray(b)) return [mergeShape(a[0], b[0])];
  const obj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
  if (obj(a) && obj(b)) {
    const o: Record<string, unknown> = {};
    for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) o[k] = k in a && k in b ? mergeShape(a[k], b[k]) : (a[k] ?? b[k]);
    return o;
  }
  if (typeof a === 'string' && typeof b === 'string') return [...new Set([...a.split('|'), ...b.split('|')])].sort().join('|');
  return `${JSON.stringify(a)}|${JSON.stringify(b)}`;
}

const sampleRunsAll = () => [
  ...sampleRuns(),
  analyzeRecords(asyncFailover().records(), { traceHash: 'bbbb', expect: { lostWrites: 0 } }).result,
];

const sampleRuns = () => [
  analyzeRecords(pausedPrimary().records(), { traceHash: '0123456789abcdef', expect: { splitBrain: 'none', lostWrites: 0, failovers: 1 } }).result,
  analyzeRecords(clientCut().records(), { traceHash: 'fedcba9876543210' }).result,
  analyzeRecords(replicaCut({ reads: true }).records(), { traceHash: 'aaaa' }).result,
];

describe('JSON report', () => {
  it('has the documented, stable shape', () => {
    const doc = JSON.parse(reportJson(sampleRunsAll())) as Record<string, unknown>;
    expect(doc.schemaVersion).toBe(SCHEMA_VERSION);
    expect(SCHEMA_VERSION).toBe(1);
    const window = { durationMs: 'number', endMs: 'number', startMs: 'number' };
    expect(shapeOf(doc)).toEqual({
      generator: 'string',
      runs: [
        {
          durationMs: 'number',
          expectations: [{ actual: 'number|string', expected: 'string', message: 'string', name: 'string', ok: 'boolean' }],
          finalHistory: { node: 'string', timelines: ['number'], why: 'string' },
          incidents: [
            {
              details: 'object',
              endMs: 'number',
              evidence: ['string'],
              explanation: 'string',
              id: 'string',
              kind: 'string',
              nodes: ['string'],
              replay: 'string',
              severity: 'string',
              startMs: 'number',
              writes: ['number'],
            },
          ],
          indeterminateWrites: [{ committed: 'boolean', inFinalHistory: 'boolean', outcome: 'string', writeId: 'number' }],
          metrics: {
            durationMs: 'number',
            failovers: 'number',
            indeterminateWrites: { inFinalHistory: 'number', missing: 'number', total: 'number' },
            lostBytes: 'number',
            lostWrites: 'number',
            maxRecoveryMs: 'null|number',
            maxUnavailableMs: 'number',
            noPrimaryWindows: [window],
            promotions: [{ atMs: 'number', kind: 'string', node: 'string', previousPrimary: 'string', recoveryMs: 'number', timeline: 'number' }],
            reads: { failed: 'number', indeterminate: 'number', ok: 'number', stale: 'number' },
            splitBrainMs: 'number',
            switchovers: 'number',
            unavailableWindows: [window],
            writeAvailability: 'number',
            writes: { acknowledged: 'number', failed: 'number', indeterminate: 'number', invoked: 'number', pending: 'number' },
          },
          scenario: 'string',
          seed: 'string',
          traceHash: 'string',
          verdict: 'string',
        },
      ],
      schemaVersion: 'number',
    });
  });

  it('uses only the six incident kinds, and numbers that JSON can hold', () => {
    const text = reportJson(sampleRuns());
    const doc = JSON.parse(text) as { runs: { incidents: { kind: string; severity: string }[] }[] };
    for (const r of doc.runs) for (const i of r.incidents) {
      expect(INCIDENT_KINDS).toContain(i.kind);
      expect(['critical', 'warning', 'info']).toContain(i.severity);
    }
    expect(text).not.toMatch(/NaN|Infinity/);
  });
});

describe('JUnit report', () => {
  it('is well-formed XML with one test case per expectation and correct counts', () => {
    const runs = sampleRuns();
    const root = parseXml(junitXml(runs));
    expect(root.name).toBe('testsuites');
    const suites = root.children.filter((c) => c.name === 'testsuite');
    expect(suites).toHaveLength(3);
    const cases = (s: XmlElement) => s.children.filter((c) => c.name === 'testcase');
    // run 1: three expectations (+1: it has incidents no expectation covers)
    expect(cases(suites[0]!).map((c) => c.attrs.name)).toEqual(['splitBrain: none', 'lostWrites: 0', 'failovers: 1', 'no unexpected incidents']);
    expect(cases(suites[0]!).map((c) => c.children.some((x) => x.name === 'failure'))).toEqual([true, true, false, true]);
    expect(suites[0]!.attrs.failures).toBe('3');
    expect(suites[0]!.attrs.tests).toBe('4');
    // run 2: no expectations: one case that fails on its incident
    expect(cases(suites[1]!).map((c) => c.attrs.name)).toEqual(['no unexpected incidents']);
    const total = suites.reduce((a, s) => a + cases(s).length, 0);
    expect(root.attrs.tests).toBe(String(total));
    const props = suites[0]!.children.find((c) => c.name === 'properties')!.children;
    expect(props.find((p) => p.attrs.name === 'traceHash')!.attrs.value).toBe('0123456789abcdef');
  });

  it('escapes what XML forbids', () => {
    const r = analyzeRecords(asyncFailover().records(), { scenario: `scen<&"'>arios/x.yaml`, expect: { lostWrites: '< 1' } }).result;
    const root = parseXml(junitXml([r]));
    const suite = root.children[0]!;
    expect(suite.attrs.name).toBe(`scen<&"'>arios/x.yaml (seed 7)`);
    expect(suite.children.find((c) => c.name === 'testcase')!.attrs.name).toBe('lostWrites: < 1');
  });
});

const ESC = String.fromCharCode(27);

describe('terminal summary', () => {
  it('prints incidents first (critical before warning) with their replay commands, then metrics and expectations', () => {
    const out = renderTerminal(sampleRuns().slice(0, 1), { color: false, width: 0 });
    const lines = out.split('\n');
    const crit = lines.findIndex((l) => l.includes('CRITICAL'));
    const warn = lines.findIndex((l) => l.includes('WARNING'));
    const metrics = lines.findIndex((l) => l.includes('metrics'));
    expect(crit).toBeGreaterThan(0);
    expect(crit).toBeLessThan(warn);
    expect(warn).toBeLessThan(metrics);
    expect(out).toContain('replay: haywire replay scenarios/paused-primary.yaml --seed 7 --at 50.05s');
    expect(out).toContain('✗ lostWrites 0 (got 24)');
    expect(out.includes(ESC)).toBe(false);
  });

  it('colours only when asked', () => {
    const runs = sampleRuns();
    expect(renderTerminal(runs, { color: true })).toContain(`${ESC}[31m`);
    expect(renderTerminal(runs, { color: false }).includes(ESC)).toBe(false);
  });

  it('decides colour from the TTY and NO_COLOR / FORCE_COLOR', () => {
    expect(shouldUseColor({ isTTY: true }, {})).toBe(true);
    expect(shouldUseColor({ isTTY: false }, {})).toBe(false);
    expect(shouldUseColor({}, {})).toBe(false);
    expect(shouldUseColor({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(shouldUseColor({ isTTY: true }, { NO_COLOR: '' })).toBe(true);
    expect(shouldUseColor({ isTTY: false }, { FORCE_COLOR: '1' })).toBe(true);
    expect(shouldUseColor({ isTTY: true }, { FORCE_COLOR: '0' })).toBe(false);
    expect(shouldUseColor({ isTTY: true }, { NO_COLOR: '1', FORCE_COLOR: '1' })).toBe(false);
  });

  it('totals several runs', () => {
    expect(renderTerminal(sampleRuns(), { color: false })).toMatch(/3 runs: 0 passed, 3 failed; \d+ incidents \(\d+ critical\)/);
  });
});

describe('trace file', () => {
  it('streams a real run to NDJSON with a header and footer, and reads it back record for record', () => {
    const dir = mkdtempSync(join(tmpdir(), 'haywire-trace-'));
    const file = join(dir, 'run.ndjson');
    const w = smallWorld('trace-file', { keep: true, messages: true });
    const writer = new TraceFileWriter(file, { scenario: 'scenarios/x.yaml', seed: 'trace-file' });
    w.sim.trace.subscribe(writer.push);
    const server = new Recorder(w.net.host('a1'), 'srv');
    const client = new Shell(w.net.host('c1'), 'cli');
    server.start();
    client.start();
    for (let i = 0; i < 50; i++) {
      client.after(i * 10_000, () => {
        client.spawn(
          'call',
          (function* () {
            try {
              yield* client.net.call(client, server, Echo, { n: i }, { timeoutUs: 1_000_000 });
            } catch {
              /* cut off: the call fails, the trace shows why */
            }
          })(),
        );
      });
    }
    w.nemesis.schedule([{ atUs: 100_000, durationUs: 200_000, action: { kind: 'isolate', targets: ['a1'] } }]);
    w.run(2_000_000);
    writer.close(w.sim.trace.digest());
    const reader = openTraceFile(file);
    expect(reader.header).toMatchObject({ format: 'haywire-trace', version: 1, scenario: 'scenarios/x.yaml', seed: 'trace-file' });
    const back = [...reader.records()];
    expect(back).toEqual(JSON.parse(JSON.stringify(w.sim.trace.records())));
    expect(reader.footer).toEqual({ format: 'haywire-trace-end', records: back.length, traceHash: w.sim.trace.digest() });
    expect(back.length).toBeGreaterThan(100);
    const a = analyzeTraceFile(file);
    expect(a.result.traceHash).toBe(w.sim.trace.digest());
    expect(a.result.scenario).toBe('scenarios/x.yaml');
    expect(a.history.faults).toHaveLength(1);
  });

  it('refuses what is not a haywire trace', () => {
    const dir = mkdtempSync(join(tmpdir(), 'haywire-trace-'));
    const bad = join(dir, 'bad.ndjson');
    writeFileSync(bad, '{"hello":1}\n');
    expect(() => openTraceFile(bad)).toThrow(TraceFileError);
    writeFileSync(bad, '{"format":"haywire-trace","version":99,"scenario":"","seed":""}\n');
    expect(() => openTraceFile(bad)).toThrow(/newer/);
    expect(readFileSync(bad, 'utf8')).toContain('99');
  });
});

describe('timeline model', () => {
  it('derives lanes from the history and answers what held at a cursor', () => {
    const a = analyzeRecords(pausedPrimary().records());
    const t = buildTimeline(a.history, a.result.incidents);
    expect(t.nodes.map((n) => n.name)).toEqual(['pg1', 'pg2', 'pg3']);
    const pg1 = t.nodes[0]!;
    expect(pg1.role[0]).toMatchObject({ fromMs: 0, toMs: 62_010, kind: 'primary', label: 'primary · timeline 1' });
    // demoted, restarted as a replica that finds itself diverged, rewound, then streaming again
    expect(pg1.role.map((s) => s.kind)).toEqual(['primary', 'demoting', 'stopped', 'starting', 'replica', 'diverged', 'stopped', 'rewinding', 'starting', 'diverged', 'replica']);
    expect(pg1.agent).toEqual([{ fromMs: 21_000, toMs: 62_000, kind: 'paused', label: 'Patroni paused' }]);
    const c = cursorAt(t, 55_000);
    expect(c.roles).toEqual({ pg1: 'primary', pg2: 'primary', pg3: 'replica' });
    expect(c.leader).toEqual({ etcd: 'pg2' });
    expect(c.quorum).toEqual({ etcd: true });
    expect(c.faults.map((f) => f.kind)).toEqual(['pause']);
    expect(c.incidents.map((i) => i.kind).sort()).toEqual(['divergence', 'lost-write', 'split-brain']);
    expect(t.events.some((e) => e.kind === 'promote' && e.node === 'pg2')).toBe(true);
    // pg3 follows pg2 onto timeline 2 without a new pg.state of its own
    expect(t.nodes[2]!.role.map((r) => r.label)).toEqual(['replica · timeline 1', 'replica · timeline 2']);
    expect(t.nodes[2]!.role[1]!.fromMs).toBe(50_200);
  });

  it('lists partition groups while a partition holds', () => {
    const a = analyzeRecords(replicaCut().records());
    const t = buildTimeline(a.history);
    expect(t.partitions).toHaveLength(1);
    expect(t.partitions[0]).toMatchObject({ fromMs: 20_000, toMs: 120_000, cuts: ['pg1 x pg3'] });
    // a partial cut: everyone still connected through pg2 and the DCS
    expect(cursorAt(t, 30_000).partition).toEqual([['app1', 'etcd1', 'etcd2', 'etcd3', 'pg1', 'pg2', 'pg3']]);
    expect(cursorAt(t, 130_000).partition).toBeNull();
  });
});
