// `--shard k/n`: a deterministic split of a check's schedules or a sweep's runs, so a CI matrix or a
// batch system can run one slice per machine and `haywire merge` can put the slices back together.
// Job i belongs to shard (i mod n) + 1: every shard gets a fair mix of the sequence.

export interface Shard {
  /** 1-based. */
  k: number;
  n: number;
}

export class ShardError extends Error {}

export function parseShard(text: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!m) throw new ShardError(`--shard: expected k/n (e.g. 2/8), got "${text}"`);
  const k = Number(m[1]);
  const n = Number(m[2]);
  if (n < 1 || k < 1 || k > n) throw new ShardError(`--shard: k must be between 1 and n (got ${k}/${n})`);
  return { k, n };
}

export function inShard(index: number, shard: Shard | undefined): boolean {
  return shard === undefined || index % shard.n === shard.k - 1;
}

export function shardLabel(shard: Shard | undefined): string {
  return shard === undefined ? 'all' : `${shard.k}/${shard.n}`;
}
