import { describe, expect, it } from 'vitest';
import { Progress } from '../../src/cli/progress.js';

function sink(tty: boolean): { errIsTTY: boolean; text: string; err(t: string): void } {
  const s = { errIsTTY: tty, text: '', err: (t: string) => void (s.text += t) };
  return s;
}

describe('progress line', () => {
  it('draws nothing when stderr is not a terminal', () => {
    let now = 0;
    const s = sink(false);
    const p = new Progress(s, () => now);
    now = 5000;
    p.update('working');
    p.clear();
    expect(s.text).toBe('');
  });

  it('on a terminal: nothing in the first half second, then redraws at most every 100 ms, erased at the end', () => {
    let now = 0;
    const s = sink(true);
    const p = new Progress(s, () => now);
    now = 400;
    p.update('a');
    expect(s.text).toBe('');
    now = 600;
    p.update('b');
    now = 650;
    p.update('c');
    now = 720;
    p.update('d');
    p.clear();
    expect(s.text).toBe('\r\x1b[2Kb\r\x1b[2Kd\r\x1b[2K');
  });
});

describe('summary table', () => {
  it('counts incidents by kind, in order of first occurrence', async () => {
    const { incidentSummary, summaryTable } = await import('../../src/cli/commands/run.js');
    expect(incidentSummary([])).toBe('-');
    expect(incidentSummary(['split-brain', 'lost-write', 'split-brain'])).toBe('split-brain ×2, lost-write');
    expect(summaryTable([{ file: 'a.yaml', covers: ['P1', 'P5'], verdict: 'fail', incidents: ['split-brain'] }])).toBe(
      'SCENARIO  COVERS  VERDICT     INCIDENTS\na.yaml    P1 P5   fail        split-brain\n',
    );
  });
});
