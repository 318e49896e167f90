// etcd's v2 store (server/etcdserver/api/v2store), replicated by the same raft log as v3 but a
// separate key space: keys with an optional TTL, compare-and-swap on prevExist / prevValue /
// prevIndex, its own index (X-Etcd-Index), and an event history for long-poll watches.
// TTL expiry is wall-clock based: a write's expiration is the *proposing member's* wall time
// (`r.Time`, set when the request is received) plus ttl, and keys are deleted when a SYNC entry
// carrying the *leader's* wall time passes it (the leader proposes SYNC every 500 ms).

export interface V2Node {
  key: string;
  value: string;
  createdIndex: number;
  modifiedIndex: number;
  /** Wall-clock µs of expiry, or null. */
  expirationWallUs: number | null;
  ttlS: number | null;
}

export type V2Cmd =
  | { op: 'v2set'; key: string; value: string; ttlS: number | null; prevExist: boolean | null; prevValue: string | null; prevIndex: number; nowWallUs: number }
  | { op: 'v2delete'; key: string; prevValue: string | null; prevIndex: number }
  | { op: 'v2sync'; leaderWallUs: number };

export interface V2Event {
  action: 'set' | 'create' | 'update' | 'compareAndSwap' | 'delete' | 'compareAndDelete' | 'expire';
  node: V2Node;
  prevNode: V2Node | null;
  index: number;
}

export type V2Result = { ok: true; event: V2Event; index: number } | { ok: false; errorCode: number; message: string; index: number };

/** v2 error codes (v2error): 100 key not found, 101 compare failed, 105 key already exists. */
export const V2 = { KeyNotFound: 100, TestFailed: 101, NodeExist: 105, RaftInternal: 300, LeaderElect: 301, EventIndexCleared: 401 } as const;

const HISTORY = 1000;

export class V2Store {
  index = 0;
  readonly nodes = new Map<string, V2Node>();
  history: V2Event[] = [];
  onEvent: ((ev: V2Event, raftIndex: number) => void) | null = null;

  get hasTtlKeys(): boolean {
    for (const n of this.nodes.values()) if (n.expirationWallUs !== null) return true;
    return false;
  }

  apply(cmd: V2Cmd, raftIndex: number): V2Result | null {
    switch (cmd.op) {
      case 'v2set': {
        const prev = this.nodes.get(cmd.key) ?? null;
        if (cmd.prevExist === false && prev) return { ok: false, errorCode: V2.NodeExist, message: 'Key already exists', index: this.index };
        if (cmd.prevExist === true && !prev) return { ok: false, errorCode: V2.KeyNotFound, message: 'Key not found', index: this.index };
        const cas = cmd.prevValue !== null || cmd.prevIndex > 0;
        if (cas) {
          if (!prev) return { ok: false, errorCode: V2.KeyNotFound, message: 'Key not found', index: this.index };
          if ((cmd.prevValue !== null && prev.value !== cmd.prevValue) || (cmd.prevIndex > 0 && prev.modifiedIndex !== cmd.prevIndex)) {
            return { ok: false, errorCode: V2.TestFailed, message: 'Compare failed', index: this.index };
          }
        }
        this.index++;
        const node: V2Node = {
          key: cmd.key,
          value: cmd.value,
          createdIndex: prev && cmd.prevExist !== false ? prev.createdIndex : this.index,
          modifiedIndex: this.index,
          expirationWallUs: cmd.ttlS !== null ? cmd.nowWallUs + cmd.ttlS * 1e6 : null,
          ttlS: cmd.ttlS,
        };
        this.nodes.set(cmd.key, node);
        const action = cas ? 'compareAndSwap' : cmd.prevExist === false ? 'create' : cmd.prevExist === true ? 'update' : 'set';
        return this.emit({ action, node, prevNode: prev, index: this.index }, raftIndex);
      }
      case 'v2delete': {
        const prev = this.nodes.get(cmd.key);
        if (!prev) return { ok: false, errorCode: V2.KeyNotFound, message: 'Key not found', index: this.index };
        const cas = cmd.prevValue !== null || cmd.prevIndex > 0;
        if ((cmd.prevValue !== null && prev.value !== cmd.prevValue) || (cmd.prevIndex > 0 && prev.modifiedIndex !== cmd.prevIndex)) {
          return { ok: false, errorCode: V2.TestFailed, message: 'Compare failed', index: this.index };
        }
        this.index++;
        this.nodes.delete(cmd.key);
        return this.emit({ action: cas ? 'compareAndDelete' : 'delete', node: { ...prev, modifiedIndex: this.index }, prevNode: prev, index: this.index }, raftIndex);
      }
      case 'v2sync': {
        for (const n of [...this.nodes.values()].sort((a, b) => (a.key < b.key ? -1 : 1))) {
          if (n.expirationWallUs === null || n.expirationWallUs > cmd.leaderWallUs) continue;
          this.index++;
          this.nodes.delete(n.key);
          this.emit({ action: 'expire', node: { ...n, modifiedIndex: this.index }, prevNode: n, index: this.index }, raftIndex);
        }
        return null;
      }
    }
  }

  private emit(ev: V2Event, raftIndex: number): V2Result {
    this.history.push(ev);
    if (this.history.length > HISTORY) this.history.shift();
    this.onEvent?.(ev, raftIndex);
    return { ok: true, event: ev, index: this.index };
  }

  /** The first event on `key` with index ≥ waitIndex, 'cleared' if history no longer has it, or null. */
  eventSince(key: string, waitIndex: number): V2Event | 'cleared' | null {
    const oldest = this.history[0];
    if (oldest !== undefined && this.history.length >= HISTORY && waitIndex < oldest.index) return 'cleared';
    for (const ev of this.history) if (ev.index >= waitIndex && ev.node.key === key) return ev;
    return null;
  }

  snapshot(): { index: number; nodes: V2Node[] } {
    return { index: this.index, nodes: [...this.nodes.values()].map((n) => ({ ...n })) };
  }

  restore(s: { index: number; nodes: V2Node[] } | null): void {
    this.nodes.clear();
    this.history = [];
    this.index = 0;
    if (!s) return;
    this.index = s.index;
    for (const n of s.nodes) this.nodes.set(n.key, { ...n });
  }
}
