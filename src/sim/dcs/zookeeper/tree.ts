// ZooKeeper's replicated data tree (DataTree + the session table), changed only by committed
// transactions. Parent znodes are implicit (Patroni creates with makepath=True); children are
// found by prefix.
import type { RaftStateMachine } from '../raft/core.js';

export interface Znode {
  path: string;
  data: string;
  version: number;
  czxid: number;
  mzxid: number;
  /** Session id owning an ephemeral node, 0 otherwise. */
  ephemeralOwner: number;
}

export type ZkCmd =
  | { op: 'createSession'; id: number; timeoutMs: number }
  | { op: 'closeSession'; id: number; expired: boolean }
  | { op: 'create'; path: string; data: string; ephemeral: boolean; session: number }
  | { op: 'set'; path: string; data: string; version: number }
  | { op: 'delete'; path: string; version: number };

export type ZkCode = 'ok' | 'NodeExists' | 'NoNode' | 'BadVersion' | 'SessionExpired';
export interface ZkResult {
  code: ZkCode;
  stat?: Znode;
}

export interface ZnodeChange {
  path: string;
  before: Znode | null;
  after: Znode | null;
  cause: 'write' | 'session-expired' | 'session-closed';
}

interface Snap {
  nodes: Znode[];
  sessions: [number, number][];
}

export class ZkTree implements RaftStateMachine<ZkCmd> {
  readonly nodes = new Map<string, Znode>();
  readonly sessions = new Map<number, number>();
  onChange: ((c: ZnodeChange, zxid: number) => void) | null = null;
  onSession: ((kind: 'create' | 'close', id: number) => void) | null = null;

  apply(cmd: ZkCmd, zxid: number): ZkResult {
    switch (cmd.op) {
      case 'createSession':
        this.sessions.set(cmd.id, cmd.timeoutMs);
        this.onSession?.('create', cmd.id);
        return { code: 'ok' };
      case 'closeSession': {
        if (!this.sessions.has(cmd.id)) return { code: 'ok' };
        this.sessions.delete(cmd.id);
        // DataTree.killSession: every ephemeral node of the session goes
        for (const n of [...this.nodes.values()].sort((a, b) => (a.path < b.path ? -1 : 1))) {
          if (n.ephemeralOwner !== cmd.id) continue;
          this.nodes.delete(n.path);
          this.onChange?.({ path: n.path, before: n, after: null, cause: cmd.expired ? 'session-expired' : 'session-closed' }, zxid);
        }
        this.onSession?.('close', cmd.id);
        return { code: 'ok' };
      }
      case 'create': {
        if (this.nodes.has(cmd.path)) return { code: 'NodeExists' };
        if (cmd.ephemeral && !this.sessions.has(cmd.session)) return { code: 'SessionExpired' };
        const n: Znode = { path: cmd.path, data: cmd.data, version: 0, czxid: zxid, mzxid: zxid, ephemeralOwner: cmd.ephemeral ? cmd.session : 0 };
        this.nodes.set(cmd.path, n);
        this.onChange?.({ path: cmd.path, before: null, after: n, cause: 'write' }, zxid);
        return { code: 'ok', stat: { ...n } };
      }
      case 'set': {
        const b = this.nodes.get(cmd.path);
        if (!b) return { code: 'NoNode' };
        if (cmd.version !== -1 && cmd.version !== b.version) return { code: 'BadVersion' };
        const n: Znode = { ...b, data: cmd.data, version: b.version + 1, mzxid: zxid };
        this.nodes.set(cmd.path, n);
        this.onChange?.({ path: cmd.path, before: b, after: n, cause: 'write' }, zxid);
        return { code: 'ok', stat: { ...n } };
      }
      case 'delete': {
        const b = this.nodes.get(cmd.path);
        if (!b) return { code: 'NoNode' };
        if (cmd.version !== -1 && cmd.version !== b.version) return { code: 'BadVersion' };
        this.nodes.delete(cmd.path);
        this.onChange?.({ path: cmd.path, before: b, after: null, cause: 'write' }, zxid);
        return { code: 'ok' };
      }
    }
  }

  snapshot(): Snap {
    return { nodes: [...this.nodes.values()].map((n) => ({ ...n })), sessions: [...this.sessions] };
  }

  restore(data: unknown): void {
    this.nodes.clear();
    this.sessions.clear();
    const s = data as Snap | null;
    if (!s) return;
    for (const n of s.nodes) this.nodes.set(n.path, { ...n });
    for (const [k, v] of s.sessions) this.sessions.set(k, v);
  }
}
