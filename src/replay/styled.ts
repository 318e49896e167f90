// Styled text for the replay's screen: a line is a list of runs of text with one style each. The
// screen is computed as lines by pure functions (testable without a terminal); the ink components
// only map runs onto <Text>. Every glyph used is one terminal column wide.

export type Color = 'green' | 'red' | 'yellow' | 'blue' | 'magenta' | 'cyan' | 'gray' | 'white';

export interface Style {
  color?: Color;
  bold?: boolean;
  dim?: boolean;
  inverse?: boolean;
}

export interface Run {
  text: string;
  style?: Style;
}

export type Line = Run[];

export function run(text: string, style?: Style): Run {
  return style ? { text, style } : { text };
}

/** Display width in columns (every character the replay draws is one column). */
export function width(line: Line): number {
  let n = 0;
  for (const r of line) n += [...r.text].length;
  return n;
}

/** Cut a line to `cols` columns and pad it with spaces to exactly `cols`. */
export function fit(line: Line, cols: number): Line {
  const out: Line = [];
  let left = cols;
  for (const r of line) {
    if (left <= 0) break;
    const cps = [...r.text];
    if (cps.length <= left) {
      out.push(r);
      left -= cps.length;
    } else {
      out.push({ ...r, text: `${cps.slice(0, Math.max(0, left - 1)).join('')}…` });
      left = 0;
    }
  }
  if (left > 0) out.push({ text: ' '.repeat(left) });
  return out;
}

/** The plain text of a line. */
export function plain(line: Line): string {
  return line.map((r) => r.text).join('');
}

/** Merge adjacent runs of the same style (fewer <Text> nodes). */
export function compact(line: Line): Line {
  const out: Line = [];
  for (const r of line) {
    const last = out[out.length - 1];
    if (last && sameStyle(last.style, r.style)) last.text += r.text;
    else out.push({ ...r });
  }
  return out;
}

function sameStyle(a: Style | undefined, b: Style | undefined): boolean {
  return (a?.color ?? null) === (b?.color ?? null) && !!a?.bold === !!b?.bold && !!a?.dim === !!b?.dim && !!a?.inverse === !!b?.inverse;
}
