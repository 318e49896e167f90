// The replay without a terminal: the state machine on its own ((state, key) → state) and the frames
// it lays out (size, lanes at the right columns, the panel at the cursor, wide terminals, help,
// focus), on a real run (the small partition: a failover and a divergence incident) and on a
// synthetic one with a split-brain and several incidents.
import { describe, expect, it } from 'vitest';
import { replayRecords } from '../../src/replay/load.js';
import type { ReplayModel } from '../../src/replay/model.js';
import { initialState, parseSeek, replayReducer, SPEEDS, type KeyFlags, type ReplayState } from '../../src/replay/state.js';
import { pausedPrimary } from '../report/fixtures/scenarios.js';
import { smallRun, frameLines } from './helpers.js';
import { scaleOf } from '../../src/replay/lanes.js';
import { buildScreen, screenLines } from '../../src/replay/screen.js';
import { renderFrame } from '../../src/replay/session.js';
import { plain } from '../../src/replay/styled.js';
import { compactNames } from '../../src/replay/text.js';

function keys(model: ReplayModel, s: ReplayState, ...ks: (string | [string, KeyFlags])[]): ReplayState {
  const r = replayReducer(model);
  for (const k of ks) s = r(s, typeof k === 'string' ? { type: 'key', input: k } : { type: 'key', input: k[0], key: k[1] });
  return s;
}

const ENTER: [string, KeyFlags] = ['\r', { return: true }];
const ESC: [string, KeyFlags] = ['', { escape: true }];
const RIGHT: [string, KeyFlags] = ['', { rightArrow: true }];
const LEFT: [string, KeyFlags] = ['', { leftArrow: true }];

describe('replay state: the real small partition run', () => {
  const m = smallRun();
  const s0 = initialState(m);

  it('the run has what the tests below rely on: a fault at 20 s, one incident, a promotion', () => {
    expect(m.faultStartsUs).toEqual([20_000_000]);
    expect(m.incidents.map((i) => i.kind)).toEqual(['divergence']);
    expect(m.timeline.events.some((e) => e.kind === 'promote')).toBe(true);
    expect(s0).toMatchObject({ cursorUs: 0, playing: false, focus: null, help: false, seek: null, quit: false });
  });

  it('→ and ← step through the instants of the event log, n / p too', () => {
    const stops = m.stops(null);
    const a = keys(m, s0, RIGHT);
    expect(a.cursorUs).toBe(stops.find((t) => t > 0));
    const b = keys(m, a, 'n', 'n');
    expect(b.cursorUs).toBe(stops[stops.indexOf(a.cursorUs) + 2]);
    expect(keys(m, b, LEFT).cursorUs).toBe(stops[stops.indexOf(a.cursorUs) + 1]);
    expect(keys(m, b, 'p', 'p').cursorUs).toBe(a.cursorUs);
    const end = { ...s0, cursorUs: m.endUs };
    expect(keys(m, end, RIGHT)).toMatchObject({ cursorUs: m.endUs, message: 'no later event' });
  });

  it('i jumps to the incident, I back to the one before, f / F to faults', () => {
    const inc = m.incidents[0]!;
    const a = keys(m, s0, 'i');
    expect(a.cursorUs).toBe(inc.fromUs);
    expect(a.message).toContain('incident 1/1: divergence-1');
    expect(keys(m, a, 'i').message).toBe('no incident after the cursor');
    expect(keys(m, { ...a, cursorUs: m.endUs }, 'I').cursorUs).toBe(inc.fromUs);
    const f = keys(m, s0, 'f');
    expect(f.cursorUs).toBe(20_000_000);
    expect(f.message).toBe('fault: isolate [pg1]');
    expect(keys(m, f, 'F').message).toBe('no fault before the cursor');
  });

  it('g 41.2s ⏎ seeks; bad input says why and stays in seek mode; Esc cancels; +5s is relative', () => {
    const typed = keys(m, s0, 'g', '4', '1', '.', '2', 's');
    expect(typed.seek).toBe('41.2s');
    const done = keys(m, typed, ENTER);
    expect(done).toMatchObject({ cursorUs: 41_200_000, seek: null });
    expect(keys(m, done, 'g', '+', '5', 's', ENTER).cursorUs).toBe(46_200_000);
    expect(keys(m, done, 'g', '-', '1', 'm', ENTER).cursorUs).toBe(0); // clamped to the start
    expect(keys(m, s0, 'g', '1', 'm', '3', '0', 's', ENTER).cursorUs).toBe(80_000_000); // 90 s, clamped to the end
    expect(keys(m, s0, 'g', '1', '2', ENTER).cursorUs).toBe(12_000_000); // a bare number is seconds
    const bad = keys(m, s0, 'g', 'x', 'y', ENTER);
    expect(bad.seek).toBe('xy');
    expect(bad.message).toMatch(/cannot seek to "xy"/);
    expect(keys(m, bad, ['', { backspace: true }]).seek).toBe('x');
    expect(keys(m, bad, ESC)).toMatchObject({ seek: null, cursorUs: 0, quit: false });
    // keys typed while seeking are text, not commands
    expect(keys(m, s0, 'g', 'q', 'i')).toMatchObject({ quit: false, seek: 'qi', cursorUs: 0 });
  });

  it('focus: a digit focuses its node and again clears it; tab cycles, shift-tab back; the log follows', () => {
    expect(keys(m, s0, '2').focus).toBe('pg2');
    expect(keys(m, s0, '2', '2').focus).toBeNull();
    expect(keys(m, s0, '2', '0').focus).toBeNull();
    expect(keys(m, s0, '9')).toMatchObject({ focus: null, message: 'no node 9 (this run has 3)' });
    const tab: [string, KeyFlags] = ['\t', { tab: true }];
    expect([1, 2, 3, 4].map((n) => keys(m, s0, ...Array<[string, KeyFlags]>(n).fill(tab)).focus)).toEqual(['pg1', 'pg2', 'pg3', null]);
    expect(keys(m, s0, ['\t', { tab: true, shift: true }]).focus).toBe('pg3');
    // stepping with a focus walks that node's entries and the cluster-wide ones only
    const all = m.entries(null);
    const mine = m.entries('pg3');
    expect(mine.length).toBeLessThan(all.length);
    expect(mine.every((e) => e.nodes.length === 0 || e.nodes.includes('pg3'))).toBe(true);
    expect(mine.some((e) => e.who === 'pg1')).toBe(false);
    const f = keys(m, s0, '3', RIGHT, RIGHT);
    expect(m.stops('pg3')).toContain(f.cursorUs);
  });

  it('space plays: ticks advance the cursor by wall time × speed; the end pauses; space at the end starts over', () => {
    const r = replayReducer(m);
    const p = keys(m, { ...s0, cursorUs: 10_000_000 }, ' ');
    expect(p.playing).toBe(true);
    expect(r(p, { type: 'tick', wallMs: 500 }).cursorUs).toBe(10_500_000);
    const fast = keys(m, p, '+', '+');
    expect(SPEEDS[fast.speedIndex]).toBe(5);
    expect(r(fast, { type: 'tick', wallMs: 1000 }).cursorUs).toBe(15_000_000);
    expect(r({ ...fast, playing: false }, { type: 'tick', wallMs: 1000 }).cursorUs).toBe(10_000_000);
    const atEnd = r(fast, { type: 'tick', wallMs: 3_600_000 });
    expect(atEnd).toMatchObject({ cursorUs: m.endUs, playing: false, message: 'end of the run' });
    expect(keys(m, atEnd, ' ')).toMatchObject({ cursorUs: m.startUs, playing: true });
    expect(SPEEDS[keys(m, s0, ...Array<string>(20).fill('+')).speedIndex]).toBe(100);
    expect(SPEEDS[keys(m, s0, ...Array<string>(20).fill('-')).speedIndex]).toBe(0.1);
    // a jump stops playback
    expect(keys(m, p, 'i').playing).toBe(false);
  });

  it('? opens the help, any key closes it; q, Esc and Ctrl-C quit, and nothing moves after', () => {
    const h = keys(m, s0, '?');
    expect(h.help).toBe(true);
    expect(keys(m, h, 'x').help).toBe(false);
    expect(keys(m, h, 'q').quit).toBe(true);
    expect(keys(m, s0, 'q').quit).toBe(true);
    expect(keys(m, s0, ESC).quit).toBe(true);
    expect(keys(m, s0, ['c', { ctrl: true }]).quit).toBe(true);
    expect(keys(m, keys(m, s0, 'g', '4'), ['c', { ctrl: true }]).quit).toBe(true);
    const q = keys(m, s0, 'q');
    expect(keys(m, q, RIGHT, 'i')).toBe(q);
  });

  it('--at starts the cursor there; outside the run it is clamped and says so', () => {
    expect(initialState(m, 41_200_000).cursorUs).toBe(41_200_000);
    const late = initialState(m, 500_000_000);
    expect(late.cursorUs).toBe(m.endUs);
    expect(late.message).toBe('--at 500s is outside the run (0s to 80s)');
  });
});

describe('replay state: a synthetic run with three incidents', () => {
  const m = replayRecords(pausedPrimary().records(), { name: 'paused-primary' });

  it('i visits the incidents in order of their start, I goes back', () => {
    const starts = [...new Set(m.incidents.map((i) => i.fromUs))];
    expect(m.incidents.map((i) => i.kind)).toEqual(expect.arrayContaining(['split-brain', 'lost-write', 'divergence']));
    expect(starts.length).toBeGreaterThan(1);
    let s = initialState(m);
    const seen: number[] = [];
    for (let k = 0; k < 20; k++) {
      const next = keys(m, s, 'i');
      if (next.cursorUs === s.cursorUs) {
        expect(next.message).toBe('no incident after the cursor');
        break;
      }
      s = next;
      seen.push(s.cursorUs);
    }
    expect(seen).toEqual(starts);
    expect(keys(m, s, 'I').cursorUs).toBe(seen[seen.length - 2]);
  });

  it('a run with no incident or fault says so', () => {
    const quiet = replayRecords(pausedPrimary().records().filter((r) => r.k !== 'fault' && r.k !== 'net.fault'));
    const s = initialState(quiet);
    expect(keys(quiet, s, 'f').message).toBe('no fault in this run');
    const none = { ...quiet, incidents: [] } as ReplayModel;
    expect(keys(none, s, 'i').message).toBe('no incident in this run');
  });
});

describe('parseSeek', () => {
  it('reads absolute and relative times', () => {
    expect(parseSeek('41.2s', 0)).toEqual({ ok: true, us: 41_200_000 });
    expect(parseSeek('1m30s', 0)).toEqual({ ok: true, us: 90_000_000 });
    expect(parseSeek('250ms', 0)).toEqual({ ok: true, us: 250_000 });
    expect(parseSeek('+2s', 5_000_000)).toEqual({ ok: true, us: 7_000_000 });
    expect(parseSeek('- 2s', 5_000_000)).toEqual({ ok: true, us: 3_000_000 });
    expect(parseSeek('soon', 0).ok).toBe(false);
    expect(parseSeek('', 0).ok).toBe(false);
  });
});

const LABEL_W = 'incidents'.length + 1;

/** The lane of `label` in a frame, as the track's characters. */
function lane(lines: string[], label: string): string {
  const l = lines.find((x) => x.slice(0, LABEL_W).trim().replace('▸', '') === label);
  if (l === undefined) throw new Error(`no lane ${label} in\n${lines.join('\n')}`);
  return l.slice(LABEL_W).padEnd(200);
}

function primarySpans(m: ReplayModel, node: string): { fromUs: number; toUs: number }[] {
  return m.timeline.nodes.find((n) => n.name === node)!.role.filter((s) => s.kind === 'primary').map((s) => ({ fromUs: Math.round(s.fromMs * 1000), toUs: Math.round(s.toMs * 1000) }));
}

describe('replay frames of the small partition run', () => {
  const m = smallRun();

  it('fills 80×24 exactly, no line wider than the terminal, at every instant', () => {
    for (const at of [0, 20_000_000, 41_200_000, m.endUs]) {
      const f = frameLines(renderFrame(m, { atUs: at, size: { cols: 80, rows: 24 } }));
      expect(f).toHaveLength(24);
      for (const l of f) expect([...l].length).toBeLessThanOrEqual(80);
    }
    const s = buildScreen(m, initialState(m), { cols: 80, rows: 24 });
    expect(screenLines(s)).toHaveLength(24);
  });

  it('a lane shows the primary switching nodes at the right columns, and the leader key with it', () => {
    const f = frameLines(renderFrame(m, { atUs: 41_200_000, size: { cols: 80, rows: 24 } }));
    const scale = scaleOf(m, 80 - LABEL_W);
    // pg1 is primary first; after the failover another node is
    const [first] = primarySpans(m, 'pg1');
    const successor = ['pg2', 'pg3'].find((n) => primarySpans(m, n).length > 0)!;
    const [second] = primarySpans(m, successor);
    expect(first && second).toBeTruthy();
    const pg1 = lane(f, 'pg1');
    const next = lane(f, successor);
    const lastOld = pg1.lastIndexOf('█');
    const firstNew = next.indexOf('█');
    // majority rule: the column of a change may go either way, never further
    expect(Math.abs(lastOld - scale.colOf(first!.toUs))).toBeLessThanOrEqual(1);
    expect(Math.abs(firstNew - scale.colOf(second!.fromUs))).toBeLessThanOrEqual(1);
    expect(firstNew).toBeGreaterThan(lastOld); // no column with two primaries: no split-brain here
    for (let c = 0; c < scale.cols; c++) expect(pg1[c] === '█' && next[c] === '█').toBe(false);
    // the old primary demotes in between (▒), and the leader key goes from node 1 to the successor
    expect(pg1.slice(lastOld + 1, firstNew)).toMatch(/^▒+$/);
    const leader = lane(f, 'leader');
    const idx = String(m.nodes.indexOf(successor) + 1);
    expect(leader.trimEnd()).toMatch(new RegExp(`^ *1+-*${idx}+$`));
    // the fault band and the incident band sit where they happened
    const faults = lane(f, 'faults');
    expect(faults.indexOf('=')).toBe(scale.colOf(20_000_000));
    expect(faults).toContain('isolate [pg1]');
    expect(lane(f, 'incidents').indexOf('!')).toBe(scale.colOf(m.incidents[0]!.fromUs));
    // the caret marks the cursor's column
    const caret = f.find((l) => l.includes('▲'))!;
    expect(caret.indexOf('▲') - LABEL_W).toBe(scale.colOf(41_200_000));
    expect(caret).toContain('▲ 41.2s');
  });

  it('the panel says what holds at the cursor: roles, timelines, leader, partition groups, clients', () => {
    const during = frameLines(renderFrame(m, { atUs: 30_000_000, size: { cols: 80, rows: 24 } })).join('\n');
    expect(during).toMatch(/1 pg1 ▒ demoting +tl1/);
    expect(during).toMatch(/2 pg2 ─ replica/);
    expect(during).toContain('etcd key pg1 · quorum');
    expect(during).toContain('net {app1 etcd1-3 pg2 pg3} | {pg1}');
    expect(during).toContain('fault isolate [pg1]');
    const after = frameLines(renderFrame(m, { atUs: m.incidents[0]!.fromUs + 1000, size: { cols: 80, rows: 24 } })).join('\n');
    const successor = ['pg2', 'pg3'].find((n) => primarySpans(m, n).length > 0)!;
    expect(after).toMatch(new RegExp(`${successor} █ primary +tl2`));
    expect(after).toContain(`etcd key ${successor}`);
    expect(after).toContain('net no partition');
    expect(after).toContain('incident divergence-1');
    // the event log around the cursor shows the promotion
    expect(after).toMatch(/events \(\d+; ↑\/↓ scroll\)/);
    expect(after).toContain(`${successor} promoted: timeline 2`);
  });

  it('uses wider terminals: the lanes scale with the columns', () => {
    const f = frameLines(renderFrame(m, { atUs: 41_200_000, size: { cols: 160, rows: 40 } }));
    expect(f).toHaveLength(40);
    const narrow = lane(frameLines(renderFrame(m, { atUs: 41_200_000, size: { cols: 80, rows: 24 } })), 'quorum').trimEnd();
    const wide = lane(f, 'quorum').trimEnd();
    expect(wide.length).toBe(160 - LABEL_W);
    expect(narrow.length).toBe(80 - LABEL_W);
    // the fault band's label fits in full once it is wide enough
    expect(lane(f, 'incidents')).toContain('divergence-1');
    // and the extra rows go to the event log
    expect(f.filter((l) => /^[▸ ] +[\d.]+m?s /.test(l)).length).toBeGreaterThan(15);
  });

  it('the help overlay lists the keys and the lane legend', () => {
    const s = replayReducer(m)(initialState(m), { type: 'key', input: '?' });
    const f = screenLines(buildScreen(m, s, { cols: 80, rows: 24 })).map(plain).join('\n');
    for (const t of ['space', 'play / pause', 'next / previous incident', 'seek: 41.2s 1m30s +5s', 'focus a node', 'quit', '█ primary', '▒ demoting', '~ diverged']) expect(f).toContain(t);
  });

  it('a focused node shows its Patroni line, replication and what it reaches', () => {
    const s = { ...initialState(m, 30_000_000), focus: 'pg1' };
    const f = screenLines(buildScreen(m, s, { cols: 100, rows: 30 })).map(plain).join('\n');
    expect(f).toContain('pg1 patroni: "');
    expect(f).toContain('reaches 0/3 DCS members'); // isolated
    expect(f).toContain('cut from');
    expect(f).toContain('events of pg1');
    expect(f).toContain('▸pg1');
  });

  it('stays inside a small terminal', () => {
    for (const size of [
      { cols: 40, rows: 12 },
      { cols: 60, rows: 16 },
    ]) {
      const f = frameLines(renderFrame(m, { atUs: 41_200_000, size }));
      expect(f).toHaveLength(size.rows);
      for (const l of f) expect([...l].length).toBeLessThanOrEqual(size.cols);
    }
  });
});

describe('replay frames of a synthetic split-brain', () => {
  it('draws both primaries in the same columns while the paused old primary is still writable', () => {
    const m = replayRecords(pausedPrimary().records(), { name: 'paused-primary' });
    const sb = m.incidents.find((i) => i.kind === 'split-brain')!;
    const f = frameLines(renderFrame(m, { atUs: sb.fromUs, size: { cols: 80, rows: 24 } }));
    const scale = scaleOf(m, 80 - LABEL_W);
    const both = [...Array(scale.cols).keys()].filter((c) => lane(f, 'pg1')[c] === '█' && lane(f, 'pg2')[c] === '█');
    expect(both.length).toBeGreaterThan(0);
    expect(both[0]).toBe(scale.colOf(sb.fromUs));
    // Patroni on pg1 was paused: its agent lane says so
    expect(lane(f, 'patroni')).toMatch(/P+/);
    const text = f.join('\n');
    expect(text).toContain('Patroni paused');
    expect(text).toMatch(/incident .*split-brain-1/);
  });
});

describe('compactNames', () => {
  it('folds runs of numbered hosts', () => {
    expect(compactNames(['app1', 'etcd1', 'etcd2', 'etcd3', 'pg2', 'pg3'])).toBe('app1 etcd1-3 pg2 pg3');
    expect(compactNames(['pg1', 'pg2', 'pg3', 'pg5'])).toBe('pg1-3 pg5');
    expect(compactNames(['a', 'b'])).toBe('a b');
  });
});
