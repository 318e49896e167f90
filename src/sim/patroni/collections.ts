// A port of `patroni/collections.py CaseInsensitiveSet`: membership is case-insensitive, iteration
// yields the case of the last value added. The set operations keep Python's `collections.abc.Set`
// semantics exactly, because which spelling survives decides what ends up in
// synchronous_standby_names and in /sync:
//   a | b  → a's values, then b's (b's spelling wins for names in both)
//   a - b  → a's values not in b
//   a & b  → b's values that are in a (Set.__and__ iterates the *other* operand)

/** Python's default string ordering (code points; identical to UTF-16 order for BMP names). */
export function pyCompare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export class CaseInsensitiveSet implements Iterable<string> {
  private readonly values = new Map<string, string>();

  constructor(values?: Iterable<string> | null) {
    if (values) for (const v of values) this.add(v);
  }

  get size(): number {
    return this.values.size;
  }

  [Symbol.iterator](): Iterator<string> {
    return this.values.values();
  }

  toArray(): string[] {
    return [...this.values.values()];
  }

  /** Sorted values (Python `sorted(s)`). */
  sorted(reverse = false): string[] {
    const a = this.toArray().sort(pyCompare);
    return reverse ? a.reverse() : a;
  }

  has(value: string | null | undefined): boolean {
    return typeof value === 'string' && this.values.has(value.toLowerCase());
  }

  add(value: string): void {
    this.values.set(value.toLowerCase(), value);
  }

  discard(value: string): void {
    this.values.delete(value.toLowerCase());
  }

  /** `a | b` */
  union(other: Iterable<string>): CaseInsensitiveSet {
    const r = new CaseInsensitiveSet(this);
    for (const v of other) r.add(v);
    return r;
  }

  /** `a - b` */
  minus(other: Iterable<string>): CaseInsensitiveSet {
    const o = asSet(other);
    return new CaseInsensitiveSet(this.toArray().filter((v) => !o.has(v)));
  }

  /** `a & b`: the values of `other` that are in `this` (Python iterates the other operand). */
  intersect(other: Iterable<string>): CaseInsensitiveSet {
    const r = new CaseInsensitiveSet();
    for (const v of other) if (this.has(v)) r.add(v);
    return r;
  }

  /** `a <= b` */
  isSubsetOf(other: Iterable<string>): boolean {
    const o = asSet(other);
    if (this.size > o.size) return false;
    for (const v of this) if (!o.has(v)) return false;
    return true;
  }

  /** `a < b` */
  isProperSubsetOf(other: Iterable<string>): boolean {
    const o = asSet(other);
    return this.size < o.size && this.isSubsetOf(o);
  }

  /** `a > b` */
  isProperSupersetOf(other: Iterable<string>): boolean {
    const o = asSet(other);
    return this.size > o.size && o.isSubsetOf(this);
  }

  /** `a == b` (both case-insensitive sets: case-insensitive equality). */
  equals(other: Iterable<string>): boolean {
    const o = asSet(other);
    return this.size === o.size && this.isSubsetOf(o);
  }

  toString(): string {
    return `{${this.sorted().join(', ')}}`;
  }
}

function asSet(x: Iterable<string>): CaseInsensitiveSet {
  return x instanceof CaseInsensitiveSet ? x : new CaseInsensitiveSet(x);
}
