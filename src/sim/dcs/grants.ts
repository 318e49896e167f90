// Lock-grant safety, as a pure function of the 'dcs.leader' records: did the store ever let two
// different holders believe they held the leader key at the same true time?
//
// A grant runs from the record that gave the key to a holder ('acquired' / 'taken' / 'updated')
// until the earliest of: its `expiresAtUs` (the latest true time at which the store's contract lets
// the holder still believe it holds the key), a later record of the same store and server that ends
// it ('deleted' / 'expired' / 'lost' for that holder), or a later grant to the same holder (renewal:
// the newer grant replaces it). Stores without one authority (Redis nodes, file readers) emit
// records per `server`; grants are compared across all servers of a store.
import type { TraceRecord } from '../kernel/trace.js';

export interface Grant {
  store: string;
  server?: string;
  holder: string;
  fromUs: number;
  /** End in true time (Infinity if never ended within the records). */
  toUs: number;
}

export interface GrantOverlap {
  store: string;
  a: Grant;
  b: Grant;
  /** True-time interval during which both believed they held the key. */
  fromUs: number;
  toUs: number;
}

type LeaderRec = Extract<TraceRecord, { k: 'dcs.leader' }>;

/** Turn the 'dcs.leader' records into grant intervals (per store and server). */
export function grantsFrom(records: Iterable<TraceRecord>): Grant[] {
  const open = new Map<string, Grant>(); // key: store|server|holder
  const out: Grant[] = [];
  const key = (r: LeaderRec, holder: string): string => `${r.store}|${r.server ?? ''}|${holder}`;
  const close = (k: string, atUs: number): void => {
    const g = open.get(k);
    if (!g) return;
    open.delete(k);
    g.toUs = Math.min(g.toUs, atUs);
    out.push(g);
  };
  for (const rec of records) {
    if (rec.k !== 'dcs.leader') continue;
    const r = rec as LeaderRec;
    if (r.reason === 'acquired' || r.reason === 'taken' || r.reason === 'updated') {
      if (r.holder === null) continue;
      const k = key(r, r.holder);
      close(k, r.t);
      const g: Grant = { store: r.store, holder: r.holder, fromUs: r.t, toUs: r.expiresAtUs ?? Number.POSITIVE_INFINITY };
      if (r.server !== undefined) g.server = r.server;
      open.set(k, g);
    } else {
      // deleted / expired / lost: ends the named holder's grant, or every grant on that server
      for (const [k, g] of [...open]) {
        if (g.store !== r.store || (g.server ?? '') !== (r.server ?? '')) continue;
        if (r.holder === null || g.holder === r.holder) close(k, r.t);
      }
    }
  }
  for (const k of [...open.keys()]) close(k, Number.POSITIVE_INFINITY);
  return out.sort((x, y) => x.fromUs - y.fromUs || x.holder.localeCompare(y.holder));
}

/** Every pair of grants of one store to different holders that overlap in true time. */
export function grantOverlaps(grants: readonly Grant[]): GrantOverlap[] {
  const out: GrantOverlap[] = [];
  for (let i = 0; i < grants.length; i++) {
    const a = grants[i] as Grant;
    for (let j = i + 1; j < grants.length; j++) {
      const b = grants[j] as Grant;
      if (b.fromUs >= a.toUs) continue;
      if (a.store !== b.store || a.holder === b.holder) continue;
      const fromUs = Math.max(a.fromUs, b.fromUs);
      const toUs = Math.min(a.toUs, b.toUs);
      if (toUs > fromUs) out.push({ store: a.store, a, b, fromUs, toUs });
    }
  }
  return out;
}
