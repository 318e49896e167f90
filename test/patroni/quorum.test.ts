// Port of Patroni's tests/test_quorum.py: every vector, with the same recursive check of
// interrupted transitions and the same fuzzing of interrupted states (active ⊆ sync, every
// numsync_confirmed, voters empty or not) that must never raise.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { QuorumError, QuorumStateResolver, type QuorumInput } from '../../src/sim/patroni/quorum.js';

type Exp = [string, string, number, string];
interface State {
  leader: string;
  quorum: number;
  voters: Set<string>;
  numsync: number;
  sync: Set<string>;
  numsync_confirmed: number;
  active: Set<string>;
  sync_wanted: number;
  leader_wanted: string;
}

const s = (chars: string): Set<string> => new Set(chars.split('').filter((c) => c.length > 0));

/** Python's `set(a) == set(b)` on plain (case-sensitive) sets. */
function sameSet(a: Iterable<string>, b: Iterable<string>): boolean {
  const x = [...a].sort();
  const y = [...b].sort();
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

function run(st: State): [string, string, number, string[]][] {
  const input: QuorumInput = { ...st };
  return [...new QuorumStateResolver(input)].map((t) => [t.type, t.leader, t.num, t.names.toArray()]);
}

function* combinations(a: Set<string>): Generator<Set<string>> {
  const items = [...a];
  const n = items.length;
  for (let r = 0; r <= n; r++) {
    const idx = Array.from({ length: r }, (_, i) => i);
    for (;;) {
      yield new Set(idx.map((i) => items[i] as string));
      let i = r - 1;
      while (i >= 0 && idx[i] === i + n - r) i--;
      if (i < 0) break;
      (idx[i] as number)++;
      for (let j = i + 1; j < r; j++) idx[j] = (idx[j - 1] as number) + 1;
    }
  }
}

let nesting = 0;
let failures: unknown[] = [];

beforeEach(() => {
  nesting = 0;
  failures = [];
});
afterEach(() => {
  expect(failures).toEqual([]);
});

function check(st: State, expected: Exp[]): void {
  nesting++;
  const state: State = { ...st };
  const result = run(st);
  expect(result.length, JSON.stringify({ result, expected })).toBe(expected.length);
  result.forEach((r, i) => {
    const e = expected[i] as Exp;
    expect([r[0], r[1], r[2]]).toEqual([e[0], e[1], e[2]]);
    expect(sameSet(r[3], s(e[3])), `names of transition ${i}: ${r[3].join('')} vs ${e[3]}`).toBe(true);
  });

  // also check interrupted transitions
  const first = result[0];
  if (first && first[0] !== 'restart' && st.leader === first[1]) {
    const next: State = { ...st };
    if (first[0] === 'sync') {
      next.numsync = first[2];
      next.sync = new Set(first[3]);
    } else {
      next.quorum = first[2];
      next.voters = new Set(first[3]);
    }
    check(next, expected.slice(1));
  }
  nesting--;

  // Interrupted states with nodes that joined and went away: must not raise.
  const activeSupersetOfSync = st.active.size > st.sync.size && [...st.sync].every((x) => st.active.has(x));
  if (nesting > 0 || !activeSupersetOfSync) return;

  for (const e of expected) {
    if (e[0] === 'restart' || e[1] !== state.leader) return;
    if (e[0] === 'sync') {
      state.numsync = e[2];
      state.sync = s(e[3]);
    } else {
      state.quorum = e[2];
      state.voters = s(e[3]);
    }
  }
  const union = new Set([...state.voters, ...state.sync]);
  const safety_margin = state.quorum + state.numsync - union.size;
  // only non-steady cases, when quorum is higher than required by numsync
  if (safety_margin === 0) return;

  const fz: State = { ...st };
  for (const e of expected) {
    if (e[0] === 'sync') {
      fz.numsync = e[2];
      fz.sync = s(e[3]);
    } else {
      fz.quorum = e[2];
      fz.voters = s(e[3]);
    }
    for (const a of combinations(st.sync)) {
      fz.active = a;
      for (let c = 0; c <= fz.active.size; c++) {
        fz.numsync_confirmed = c;
        try {
          run(fz);
        } catch (err) {
          failures.push(err);
        }
        if (fz.voters.size > 0) {
          const voters = fz.voters;
          const quorum = fz.quorum;
          fz.voters = new Set();
          fz.quorum = 0;
          try {
            run(fz);
          } catch (err) {
            failures.push(err);
          }
          fz.voters = voters;
          fz.quorum = quorum;
        }
      }
    }
  }
}

function st(leader: string, quorum: number, voters: string, numsync: number, sync: string, numsync_confirmed: number, active: string, sync_wanted: number, leader_wanted = leader): State {
  return { leader, quorum, voters: s(voters), numsync, sync: s(sync), numsync_confirmed, active: s(active), sync_wanted, leader_wanted };
}

describe('QuorumStateResolver (tests/test_quorum.py)', () => {
  it('test_1111', () => {
    const l = 'a';
    check(st(l, 0, '', 0, '', 0, 'b', 2), [
      ['sync', l, 1, 'b'],
      ['restart', l, 0, ''],
    ]);
    check(st(l, 0, '', 1, 'b', 1, 'b', 2), [['quorum', l, 0, 'b']]);
    check(st(l, 0, '', 0, '', 0, 'bcde', 2), [
      ['sync', l, 2, 'bcde'],
      ['restart', l, 0, ''],
    ]);
    check(st(l, 0, '', 2, 'bcde', 1, 'bcde', 2), [['quorum', l, 3, 'bcde']]);
  });

  it('test_1222: 2 node cluster', () => {
    const l = 'a';
    check(st(l, 0, 'b', 1, 'b', 1, 'b', 2), []);
    // add node by increasing quorum
    check(st(l, 0, 'b', 1, 'b', 1, 'BC', 1), [
      ['quorum', l, 1, 'bC'],
      ['sync', l, 1, 'bC'],
    ]);
    // add node by increasing sync
    check(st(l, 0, 'b', 1, 'b', 1, 'bc', 2), [
      ['sync', l, 2, 'bc'],
      ['quorum', l, 1, 'bc'],
    ]);
    // reduce quorum after added node caught up
    check(st(l, 1, 'bc', 2, 'bc', 2, 'bc', 2), [['quorum', l, 0, 'bc']]);
    // add multiple nodes by increasing both sync and quorum
    check(st(l, 0, 'b', 1, 'b', 1, 'BCdE', 2), [
      ['sync', l, 2, 'bC'],
      ['quorum', l, 3, 'bCdE'],
      ['sync', l, 2, 'bCdE'],
    ]);
    // reduce quorum after added nodes caught up
    check(st(l, 3, 'bcde', 2, 'bcde', 3, 'bcde', 2), [['quorum', l, 2, 'bcde']]);
    // primary is alone
    check(st(l, 0, 'b', 1, 'b', 0, '', 1), [
      ['quorum', l, 0, ''],
      ['sync', l, 0, ''],
    ]);
    // swap out sync replica
    check(st(l, 0, 'b', 1, 'b', 0, 'c', 1), [
      ['quorum', l, 0, ''],
      ['sync', l, 1, 'c'],
      ['restart', l, 0, ''],
    ]);
    // update quorum when added node caught up
    check(st(l, 0, '', 1, 'c', 1, 'c', 1), [['quorum', l, 0, 'c']]);
  });

  it('test_1233: interrupted transition from 2 node cluster to 3 node fully sync cluster', () => {
    const l = 'a';
    check(st(l, 0, 'b', 2, 'bc', 1, 'b', 2), [['sync', l, 1, 'b']]);
    check(st(l, 0, 'b', 2, 'bc', 1, 'bc', 2), [['quorum', l, 1, 'bc']]);
    check(st(l, 0, 'b', 2, 'bc', 1, 'bcd', 2), [
      ['quorum', l, 2, 'bcd'],
      ['sync', l, 2, 'bcd'],
    ]);
    check(st(l, 2, 'bcd', 2, 'bcd', 3, 'bcd', 2), [['quorum', l, 1, 'bcd']]);
    check(st(l, 0, 'b', 2, 'bc', 1, 'bc', 1), [
      ['quorum', l, 1, 'bc'],
      ['sync', l, 1, 'bc'],
    ]);
  });

  it('test_2322: interrupted transition from 2 node cluster to 3 node cluster with replication factor 2', () => {
    const l = 'a';
    check(st(l, 1, 'bc', 1, 'b', 1, 'b', 1), [['quorum', l, 0, 'b']]);
    check(st(l, 1, 'bc', 1, 'b', 1, 'bc', 1), [['sync', l, 1, 'bc']]);
    check(st(l, 1, 'bc', 1, 'b', 1, 'bcd', 1), [
      ['sync', l, 1, 'bc'],
      ['quorum', l, 2, 'bcd'],
      ['sync', l, 1, 'bcd'],
    ]);
    check(st(l, 1, 'bc', 1, 'b', 1, 'bc', 2), [['sync', l, 2, 'bc']]);
    check(st(l, 1, 'bc', 2, 'bc', 2, 'bc', 2), [['quorum', l, 0, 'bc']]);
  });

  it('test_3535', () => {
    const l = 'a';
    // remove nodes
    check(st(l, 2, 'bcde', 2, 'bcde', 2, 'bc', 2), [
      ['sync', l, 2, 'bc'],
      ['quorum', l, 0, 'bc'],
    ]);
    check(st(l, 2, 'bcde', 2, 'bcde', 3, 'bcd', 2), [
      ['sync', l, 2, 'bcd'],
      ['quorum', l, 1, 'bcd'],
    ]);
    // remove nodes and decrease sync
    check(st(l, 2, 'bcde', 2, 'bcde', 2, 'bc', 1), [
      ['sync', l, 2, 'bc'],
      ['quorum', l, 1, 'bc'],
      ['sync', l, 1, 'bc'],
    ]);
    check(st(l, 1, 'bcde', 3, 'bcde', 2, 'bc', 1), [
      ['sync', l, 3, 'bcd'],
      ['quorum', l, 1, 'bc'],
      ['sync', l, 1, 'bc'],
    ]);
    // increase replication factor and decrease quorum
    check(st(l, 2, 'bcde', 2, 'bcde', 2, 'bcde', 3), [['sync', l, 3, 'bcde']]);
    // decrease quorum after more nodes caught up
    check(st(l, 2, 'bcde', 3, 'bcde', 3, 'bcde', 3), [['quorum', l, 1, 'bcde']]);
    // add node with decreasing sync and increasing quorum
    check(st(l, 2, 'bcde', 2, 'bcde', 2, 'bcdef', 1), [
      ['quorum', l, 4, 'bcdef'],
      ['sync', l, 1, 'bcdef'],
    ]);
    // remove node with increasing sync and decreasing quorum
    check(st(l, 2, 'bcde', 2, 'bcde', 2, 'bcd', 3), [
      ['sync', l, 3, 'bcd'],
      ['quorum', l, 1, 'bcd'],
    ]);
  });

  it('test_remove_nosync_node', () => {
    const l = 'a';
    check(st(l, 0, 'bc', 2, 'bc', 1, 'b', 2), [
      ['quorum', l, 0, 'b'],
      ['sync', l, 1, 'b'],
    ]);
  });

  it('test_swap_sync_node', () => {
    const l = 'a';
    check(st(l, 0, 'bc', 2, 'bc', 1, 'bd', 2), [
      ['quorum', l, 0, 'b'],
      ['sync', l, 2, 'bd'],
      ['quorum', l, 1, 'bd'],
    ]);
  });

  it('test_promotion', () => {
    check(st('a', 2, 'bcd', 0, '', 0, '', 1, 'c'), [
      ['sync', 'a', 1, 'abd'],
      ['quorum', 'c', 2, 'abd'],
    ]);
    check(st('c', 2, 'abd', 1, 'abd', 0, 'b', 1, 'c'), [
      ['sync', 'c', 1, 'b'],
      ['quorum', 'c', 0, 'b'],
    ]);
    check(st('c', 2, 'abd', 1, 'abd', 0, '', 1, 'c'), [
      ['quorum', 'c', 0, ''],
      ['sync', 'c', 0, ''],
    ]);
  });

  it('test_nonsync_promotion', () => {
    const l = 'd';
    check(st('a', 1, 'bc', 0, '', 0, '', 1, l), [
      ['sync', 'a', 2, 'abc'],
      ['quorum', l, 1, 'abc'],
    ]);
    check(st(l, 1, 'abc', 2, 'abc', 0, 'bc', 1, l), [
      ['sync', l, 2, 'bc'],
      ['quorum', l, 1, 'bc'],
      ['sync', l, 1, 'bc'],
    ]);
    check(st(l, 1, 'abc', 2, 'abc', 0, '', 1, l), [
      ['quorum', l, 0, ''],
      ['sync', l, 0, ''],
    ]);
  });

  it('test_invalid_states', () => {
    const l = 'a';
    // main invariant is not satisfied: the system is in an unsafe state
    let r = new QuorumStateResolver(st(l, 0, 'bc', 1, 'bc', 1, 'bc', 1));
    expect(() => r.check_invariants()).toThrow(QuorumError);
    let out = [...r].map((t) => [t.type, t.leader, t.num, t.names.sorted().join('')]);
    expect(out).toEqual([['quorum', l, 1, 'bc']]);
    // quorum and sync mismatched: somebody other than Patroni modified the state
    r = new QuorumStateResolver(st(l, 1, 'bc', 2, 'bd', 1, 'bd', 1));
    expect(() => r.check_invariants()).toThrow(QuorumError);
    out = [...r].map((t) => [t.type, t.leader, t.num, t.names.sorted().join('')]);
    expect(out).toEqual([
      ['quorum', l, 1, 'bd'],
      ['sync', l, 1, 'bd'],
    ]);
  });

  it('test_sync_high_quorum_low_safety_margin_high', () => {
    const l = 'a';
    check(st(l, 2, 'bcdef', 4, 'bcdef', 3, 'bcdef', 2), [
      ['quorum', l, 3, 'bcdef'],
      ['sync', l, 2, 'bcdef'],
    ]);
  });

  it('test_quorum_update and test_sync_update reject invalid values', () => {
    const base = st('a', 1, 'bc', 1, 'bc', 1, 'bc', 1);
    // the private updaters are reached through states that need them; invalid inputs raise QuorumError
    const r = new QuorumStateResolver(base) as unknown as {
      quorum_update(out: unknown[], q: number, v: Set<string>): void;
      sync_update(out: unknown[], n: number, v: Set<string>): void;
    };
    const empty = new QuorumStateResolver(st('a', 0, '', 0, '', 0, '', 1)).voters;
    expect(() => r.quorum_update([], -1, empty as unknown as Set<string>)).toThrow(QuorumError);
    expect(() => r.quorum_update([], 1, empty as unknown as Set<string>)).toThrow(QuorumError);
    expect(() => r.sync_update([], -1, empty as unknown as Set<string>)).toThrow(QuorumError);
    expect(() => r.sync_update([], 1, empty as unknown as Set<string>)).toThrow(QuorumError);
  });

  it('test_remove_nodes_with_decreasing_sync', () => {
    const l = 'a';
    check(st(l, 1, 'bcdef', 4, 'bcdef', 2, 'bcd', 2), [
      ['sync', l, 4, 'bcde'],
      ['quorum', l, 1, 'bcd'],
      ['sync', l, 2, 'bcd'],
    ]);
    // interrupted state, and node g joined
    check(st(l, 1, 'bcdef', 4, 'bcde', 2, 'bcdg', 2), [
      ['quorum', l, 1, 'bcd'],
      ['sync', l, 3, 'bcd'],
      ['quorum', l, 2, 'bcdg'],
      ['sync', l, 2, 'bcdg'],
    ]);
    // node f returned
    check(st(l, 1, 'bcdef', 4, 'bcde', 2, 'bcdf', 2), [
      ['sync', l, 4, 'bcdf'],
      ['quorum', l, 2, 'bcdf'],
      ['sync', l, 2, 'bcdf'],
    ]);
    // node e returned
    check(st(l, 1, 'bcdef', 4, 'bcde', 2, 'bcde', 2), [
      ['quorum', l, 2, 'bcde'],
      ['sync', l, 2, 'bcde'],
    ]);
    // node b is also lost
    check(st(l, 1, 'bcdef', 4, 'bcde', 2, 'cd', 1), [
      ['quorum', l, 1, 'cd'],
      ['sync', l, 1, 'cd'],
    ]);
  });

  it('test_empty_ssn', () => {
    check(st('a', 1, 'bc', 1, '', 0, '', 1, 'c'), [
      ['sync', 'a', 1, 'ab'],
      ['quorum', 'c', 1, 'ab'],
    ]);
    check(st('c', 1, 'ab', 1, 'ab', 0, 'b', 1, 'c'), [
      ['sync', 'c', 1, 'b'],
      ['quorum', 'c', 0, 'b'],
    ]);
  });
});
