// A binary min-heap of scheduled events, ordered by (timeUs, seq). The sequence number makes the
// order of events at the same instant the order in which they were scheduled: no ties, no
// dependence on the heap's internal layout, so every run is exactly reproducible.

export interface HeapEntry {
  timeUs: number;
  seq: number;
}

export class EventHeap<E extends HeapEntry> {
  private items: E[] = [];

  get size(): number {
    return this.items.length;
  }

  peek(): E | undefined {
    return this.items[0];
  }

  push(e: E): void {
    const items = this.items;
    let i = items.length;
    items.push(e);
    // sift up
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = items[parent] as E;
      if (p.timeUs < e.timeUs || (p.timeUs === e.timeUs && p.seq < e.seq)) break;
      items[i] = p;
      i = parent;
    }
    items[i] = e;
  }

  pop(): E | undefined {
    const items = this.items;
    const n = items.length;
    if (n === 0) return undefined;
    const top = items[0] as E;
    const last = items.pop() as E;
    if (n > 1) {
      // sift down
      const size = n - 1;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= size) break;
        const r = l + 1;
        let c = l;
        let ce = items[l] as E;
        if (r < size) {
          const re = items[r] as E;
          if (re.timeUs < ce.timeUs || (re.timeUs === ce.timeUs && re.seq < ce.seq)) {
            c = r;
            ce = re;
          }
        }
        if (last.timeUs < ce.timeUs || (last.timeUs === ce.timeUs && last.seq < ce.seq)) break;
        items[i] = ce;
        i = c;
      }
      items[i] = last;
    }
    return top;
  }

  clear(): void {
    this.items.length = 0;
  }
}
