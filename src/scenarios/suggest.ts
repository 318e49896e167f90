// "Did you mean ...?": the nearest allowed word by edit distance (optimal string alignment, so a
// swap of two neighbouring letters — loop_wiat — costs one edit).

/** Optimal-string-alignment distance between two strings (case-insensitive). */
export function editDistance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  const n = s.length;
  const m = t.length;
  if (n === 0) return m;
  if (m === 0) return n;
  let prev2 = new Array<number>(m + 1).fill(0);
  let prev = Array.from({ length: m + 1 }, (_, j) => j);
  let cur = new Array<number>(m + 1).fill(0);
  for (let i = 1; i <= n; i++) {
    cur[0] = i;
    for (let j = 1; j <= m; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      let d = Math.min((prev[j] as number) + 1, (cur[j - 1] as number) + 1, (prev[j - 1] as number) + cost);
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1]) d = Math.min(d, (prev2[j - 2] as number) + 1);
      cur[j] = d;
    }
    [prev2, prev, cur] = [prev, cur, prev2];
  }
  return prev[m] as number;
}

/**
 * The allowed word nearest to `word`, if it is close enough to be a plausible typo: at most a third
 * of the word's length in edits (at least 1, at most 3), or the word differs only in case, dashes
 * and underscores (`loopWait` → `loop_wait`). Ties go to the earlier word in `allowed`.
 */
export function nearest(word: string, allowed: readonly string[]): string | undefined {
  const squash = (x: string): string => x.toLowerCase().replace(/[-_\s]/g, '');
  const w = squash(word);
  for (const a of allowed) if (squash(a) === w) return a;
  const limit = Math.min(3, Math.max(1, Math.floor(word.length / 3)));
  let best: string | undefined;
  let bestD = Number.POSITIVE_INFINITY;
  for (const a of allowed) {
    const d = editDistance(word, a);
    if (d < bestD) {
      best = a;
      bestD = d;
    }
  }
  return bestD <= limit ? best : undefined;
}

/** `; did you mean "x"?` or ''. */
export function didYouMean(word: string, allowed: readonly string[]): string {
  const n = nearest(word, allowed);
  return n === undefined ? '' : `; did you mean "${n}"?`;
}
