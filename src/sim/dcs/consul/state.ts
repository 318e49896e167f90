// Consul's replicated state (agent/consul/state, the FSM): the KV store with ModifyIndex = the raft
// index of the write and the Session holding a lock, and the sessions (TTL, behavior, lock-delay).
// Session *timers* are not replicated: the Consul leader keeps them (server.ts).
import type { RaftStateMachine } from '../raft/core.js';

export interface KvEntry {
  key: string;
  value: string;
  createIndex: number;
  modifyIndex: number;
  lockIndex: number;
  session: string | null;
}

export interface Session {
  id: string;
  name: string;
  ttlS: number;
  lockDelayUs: number;
  behavior: 'release' | 'delete';
}

export type ConsulCmd =
  | { op: 'kvPut'; key: string; value: string; cas: number | null; acquire: string | null; nowWallUs: number }
  | { op: 'kvDelete'; key: string; cas: number | null }
  | { op: 'sessionCreate'; session: Session }
  | { op: 'sessionDestroy'; id: string; invalidated: boolean; nowWallUs: number };

export type ConsulResult = { ok: boolean; error?: 'invalid session' };

export interface KvChange {
  key: string;
  before: KvEntry | null;
  after: KvEntry | null;
  cause: 'write' | 'session-invalidated' | 'session-destroyed';
}

interface Snap {
  kv: KvEntry[];
  sessions: Session[];
  lockDelay: [string, number][];
  kvsIndex: number;
}

export class ConsulState implements RaftStateMachine<ConsulCmd> {
  readonly kv = new Map<string, KvEntry>();
  readonly sessions = new Map<string, Session>();
  /** key → wall-clock µs until which a lock-delay blocks acquisition. */
  readonly lockDelay = new Map<string, number>();
  /** Highest index that changed the KV table (X-Consul-Index of a missing key). */
  kvsIndex = 0;
  onChange: ((c: KvChange, index: number) => void) | null = null;
  onSession: ((kind: 'create' | 'destroy', id: string, index: number) => void) | null = null;

  apply(cmd: ConsulCmd, index: number): ConsulResult {
    switch (cmd.op) {
      case 'kvPut':
        return this.put(cmd, index);
      case 'kvDelete': {
        const e = this.kv.get(cmd.key);
        if (cmd.cas !== null && (e ? e.modifyIndex : 0) !== cmd.cas) return { ok: false };
        if (!e) return { ok: true };
        this.kv.delete(cmd.key);
        this.kvsIndex = index;
        this.onChange?.({ key: cmd.key, before: e, after: null, cause: 'write' }, index);
        return { ok: true };
      }
      case 'sessionCreate':
        this.sessions.set(cmd.session.id, cmd.session);
        this.onSession?.('create', cmd.session.id, index);
        return { ok: true };
      case 'sessionDestroy': {
        const s = this.sessions.get(cmd.id);
        if (!s) return { ok: true };
        this.sessions.delete(cmd.id);
        // invalidateSession: locks held are deleted (behavior=delete) or released, and get a lock-delay
        for (const e of [...this.kv.values()].sort((a, b) => (a.key < b.key ? -1 : 1))) {
          if (e.session !== cmd.id) continue;
          if (s.lockDelayUs > 0) this.lockDelay.set(e.key, cmd.nowWallUs + s.lockDelayUs);
          const cause = cmd.invalidated ? 'session-invalidated' : 'session-destroyed';
          if (s.behavior === 'delete') {
            this.kv.delete(e.key);
            this.onChange?.({ key: e.key, before: e, after: null, cause }, index);
          } else {
            const after = { ...e, session: null, modifyIndex: index };
            this.kv.set(e.key, after);
            this.onChange?.({ key: e.key, before: e, after, cause }, index);
          }
          this.kvsIndex = index;
        }
        this.onSession?.('destroy', cmd.id, index);
        return { ok: true };
      }
    }
  }

  private put(cmd: Extract<ConsulCmd, { op: 'kvPut' }>, index: number): ConsulResult {
    const e = this.kv.get(cmd.key) ?? null;
    if (cmd.cas !== null && (e ? e.modifyIndex : 0) !== cmd.cas) return { ok: false };
    let session = e?.session ?? null;
    let lockIndex = e?.lockIndex ?? 0;
    if (cmd.acquire !== null) {
      // state.kvsLockTxn: the session must exist, the key must not be held by another session,
      // and no lock-delay may be in force
      if (!this.sessions.has(cmd.acquire)) return { ok: false, error: 'invalid session' };
      if (session !== null && session !== cmd.acquire) return { ok: false };
      const delay = this.lockDelay.get(cmd.key);
      if (session === null && delay !== undefined && cmd.nowWallUs < delay) return { ok: false };
      if (session === null) lockIndex++;
      session = cmd.acquire;
    }
    const after: KvEntry = { key: cmd.key, value: cmd.value, createIndex: e ? e.createIndex : index, modifyIndex: index, lockIndex, session };
    this.kv.set(cmd.key, after);
    this.kvsIndex = index;
    this.onChange?.({ key: cmd.key, before: e, after, cause: 'write' }, index);
    return { ok: true };
  }

  snapshot(): Snap {
    return { kv: [...this.kv.values()].map((e) => ({ ...e })), sessions: [...this.sessions.values()].map((s) => ({ ...s })), lockDelay: [...this.lockDelay], kvsIndex: this.kvsIndex };
  }

  restore(data: unknown): void {
    this.kv.clear();
    this.sessions.clear();
    this.lockDelay.clear();
    this.kvsIndex = 0;
    const s = data as Snap | null;
    if (!s) return;
    for (const e of s.kv) this.kv.set(e.key, { ...e });
    for (const x of s.sessions) this.sessions.set(x.id, { ...x });
    for (const [k, v] of s.lockDelay) this.lockDelay.set(k, v);
    this.kvsIndex = s.kvsIndex;
  }
}
