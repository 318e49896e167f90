// The replay's state machine: a pure reducer, (state, action) → state, for a given model. Keys come
// in as ink delivers them (input text + key flags); `tick` advances the cursor while playing by
// the wall-clock time elapsed times the speed. No I/O, no timers: the app owns those.
import { parseDuration } from '../scenarios/units.js';
import type { Micros } from '../sim/kernel/time.js';
import type { ReplayModel } from './model.js';
import { fmtTime } from './text.js';

/** The key flags the reducer reads (a subset of ink's `Key`). */
export interface KeyFlags {
  leftArrow?: boolean;
  rightArrow?: boolean;
  upArrow?: boolean;
  downArrow?: boolean;
  pageUp?: boolean;
  pageDown?: boolean;
  home?: boolean;
  end?: boolean;
  return?: boolean;
  escape?: boolean;
  tab?: boolean;
  shift?: boolean;
  ctrl?: boolean;
  backspace?: boolean;
  delete?: boolean;
}

export type ReplayAction = { type: 'key'; input: string; key?: KeyFlags } | { type: 'tick'; wallMs: number };

/** Playback speeds: virtual seconds per wall-clock second. */
export const SPEEDS: readonly number[] = [0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 50, 100];
const DEFAULT_SPEED_INDEX = 3;

export interface ReplayState {
  cursorUs: Micros;
  playing: boolean;
  speedIndex: number;
  /** The node in focus (lane highlighted, log filtered, details shown), or null. */
  focus: string | null;
  help: boolean;
  /** Text typed after `g` (seek mode), null when not seeking. */
  seek: string | null;
  /** A one-line note for the status bar (where a jump went, why a key did nothing). */
  message: string | null;
  /** Log lines scrolled back from the cursor (↑/↓). */
  logScroll: number;
  quit: boolean;
}

export function initialState(model: ReplayModel, atUs?: Micros): ReplayState {
  return {
    cursorUs: clampUs(model, atUs ?? model.startUs),
    playing: false,
    speedIndex: DEFAULT_SPEED_INDEX,
    focus: null,
    help: false,
    seek: null,
    message: atUs !== undefined && (atUs < model.startUs || atUs > model.endUs) ? `--at ${fmtTime(atUs)} is outside the run (${fmtTime(model.startUs)} to ${fmtTime(model.endUs)})` : null,
    logScroll: 0,
    quit: false,
  };
}

export function speedOf(s: ReplayState): number {
  return SPEEDS[s.speedIndex] ?? 1;
}

function clampUs(model: ReplayModel, us: number): Micros {
  return Math.min(model.endUs, Math.max(model.startUs, Math.round(us)));
}

/** Read a cursor time as typed after `g`: "41.2s", "41.2" (seconds), "1m30s", "+5s" / "-2s" (relative). */
export function parseSeek(text: string, cursorUs: Micros): { ok: true; us: Micros } | { ok: false; error: string } {
  const t = text.trim();
  if (t === '') return { ok: false, error: 'type a time such as 41.2s, 1m30s or +5s' };
  const rel = t[0] === '+' || t[0] === '-' ? t[0] : null;
  const body = rel ? t.slice(1).trim() : t;
  const p = parseDuration(body, { bareUnit: 's' });
  if (!p.ok) return { ok: false, error: p.error };
  return { ok: true, us: rel === '+' ? cursorUs + p.value : rel === '-' ? cursorUs - p.value : p.value };
}

function firstAfter(xs: readonly number[], t: number): number | undefined {
  for (const x of xs) if (x > t) return x;
  return undefined;
}

function lastBefore(xs: readonly number[], t: number): number | undefined {
  let r: number | undefined;
  for (const x of xs) {
    if (x >= t) break;
    r = x;
  }
  return r;
}

/** Move the cursor (stops playback, scrolls the log back to the cursor). */
function moveTo(s: ReplayState, us: number, message: string | null): ReplayState {
  return { ...s, cursorUs: us, playing: false, logScroll: 0, message };
}

function jumpIncident(model: ReplayModel, s: ReplayState, forward: boolean): ReplayState {
  const list = model.incidents;
  if (list.length === 0) return { ...s, message: 'no incident in this run' };
  const idx = forward ? list.findIndex((i) => i.fromUs > s.cursorUs) : list.map((i) => i.fromUs < s.cursorUs).lastIndexOf(true);
  if (idx < 0) return { ...s, message: forward ? 'no incident after the cursor' : 'no incident before the cursor' };
  const i = list[idx] as (typeof list)[number];
  return moveTo(s, i.fromUs, `incident ${idx + 1}/${list.length}: ${i.id} (${i.severity}) ${fmtTime(i.fromUs)} to ${fmtTime(i.toUs)}`);
}

function jumpFault(model: ReplayModel, s: ReplayState, forward: boolean): ReplayState {
  const starts = model.faultStartsUs;
  if (starts.length === 0) return { ...s, message: 'no fault in this run' };
  const t = forward ? firstAfter(starts, s.cursorUs) : lastBefore(starts, s.cursorUs);
  if (t === undefined) return { ...s, message: forward ? 'no fault after the cursor' : 'no fault before the cursor' };
  const names = model.timeline.faults.filter((f) => Math.round(f.fromMs * 1000) === t).map((f) => f.label);
  return moveTo(s, t, `fault: ${names.join(', ')}`);
}

function step(model: ReplayModel, s: ReplayState, forward: boolean): ReplayState {
  const stops = model.stops(s.focus);
  const t = forward ? firstAfter(stops, s.cursorUs) : lastBefore(stops, s.cursorUs);
  if (t === undefined) return { ...s, playing: false, message: forward ? 'no later event' : 'no earlier event' };
  return moveTo(s, t, null);
}

function setFocus(model: ReplayModel, s: ReplayState, node: string | null): ReplayState {
  return { ...s, focus: node, logScroll: 0, message: node === null ? 'focus cleared' : `focus on ${node} (0 or the same digit clears it)` };
}

function cycleFocus(model: ReplayModel, s: ReplayState, back: boolean): ReplayState {
  const ring: (string | null)[] = [null, ...model.nodes];
  const i = ring.indexOf(s.focus);
  const n = ring.length;
  return setFocus(model, s, ring[(i + (back ? n - 1 : 1)) % n] ?? null);
}

function seekKey(model: ReplayModel, s: ReplayState, input: string, key: KeyFlags): ReplayState {
  const text = s.seek ?? '';
  if (key.escape) return { ...s, seek: null, message: 'seek cancelled' };
  if (key.return) {
    const p = parseSeek(text, s.cursorUs);
    if (!p.ok) return { ...s, message: `cannot seek to "${text}": ${p.error}` };
    const us = clampUs(model, p.us);
    const note = us !== p.us ? ` (the run spans ${fmtTime(model.startUs)} to ${fmtTime(model.endUs)})` : '';
    return { ...moveTo(s, us, `at ${fmtTime(us)}${note}`), seek: null };
  }
  if (key.backspace || key.delete) return { ...s, seek: [...text].slice(0, -1).join('') };
  if (key.ctrl || key.tab || key.upArrow || key.downArrow || key.leftArrow || key.rightArrow) return s;
  const clean = input.replace(/[^0-9a-zA-Zµ.+\- ]/g, '');
  if (clean === '') return s;
  return { ...s, seek: (text + clean).slice(0, 24), message: null };
}

function normalKey(model: ReplayModel, s: ReplayState, input: string, key: KeyFlags): ReplayState {
  const span = model.endUs - model.startUs;
  if (input === 'q' || key.escape) return { ...s, quit: true, playing: false };
  if (input === '?') return { ...s, help: true, message: null };
  if (input === ' ') {
    if (s.playing) return { ...s, playing: false, message: null };
    // playing from the end starts over
    return { ...s, playing: true, cursorUs: s.cursorUs >= model.endUs ? model.startUs : s.cursorUs, logScroll: 0, message: null };
  }
  if (input === '+' || input === '=') return { ...s, speedIndex: Math.min(SPEEDS.length - 1, s.speedIndex + 1), message: null };
  if (input === '-' || input === '_') return { ...s, speedIndex: Math.max(0, s.speedIndex - 1), message: null };
  if (key.rightArrow || input === 'n' || input === 'l') return step(model, s, true);
  if (key.leftArrow || input === 'p' || input === 'h') return step(model, s, false);
  if (input === 'i') return jumpIncident(model, s, true);
  if (input === 'I') return jumpIncident(model, s, false);
  if (input === 'f') return jumpFault(model, s, true);
  if (input === 'F') return jumpFault(model, s, false);
  if (input === 'g') return { ...s, seek: '', playing: false, message: null };
  if (key.tab) return cycleFocus(model, s, key.shift === true);
  if (input === '0') return setFocus(model, s, null);
  if (/^[1-9]$/.test(input)) {
    const node = model.nodes[Number(input) - 1];
    if (node === undefined) return { ...s, message: `no node ${input} (this run has ${model.nodes.length})` };
    return setFocus(model, s, s.focus === node ? null : node);
  }
  if (key.home) return moveTo(s, model.startUs, null);
  if (key.end) return moveTo(s, model.endUs, null);
  if (key.pageDown) return moveTo(s, clampUs(model, s.cursorUs + span / 10), null);
  if (key.pageUp) return moveTo(s, clampUs(model, s.cursorUs - span / 10), null);
  if (key.upArrow) return { ...s, logScroll: s.logScroll + 1 };
  if (key.downArrow) return { ...s, logScroll: Math.max(0, s.logScroll - 1) };
  return s;
}

/** The reducer for one model. */
export function replayReducer(model: ReplayModel): (s: ReplayState, a: ReplayAction) => ReplayState {
  return (s, a) => {
    if (s.quit) return s;
    if (a.type === 'tick') {
      if (!s.playing) return s;
      const next = s.cursorUs + Math.round(a.wallMs * 1000 * speedOf(s));
      if (next >= model.endUs) return { ...s, cursorUs: model.endUs, playing: false, message: 'end of the run' };
      return { ...s, cursorUs: next };
    }
    const key = a.key ?? {};
    // Ctrl-C quits from anywhere
    if (key.ctrl && (a.input === 'c' || a.input === '\u0003')) return { ...s, quit: true, playing: false };
    if (s.seek !== null) return seekKey(model, s, a.input, key);
    if (s.help) {
      if (a.input === 'q') return { ...s, quit: true, playing: false };
      return { ...s, help: false };
    }
    return normalKey(model, s, a.input, key);
  };
}
