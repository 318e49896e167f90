// etcd's replicated state: the MVCC key space (one global revision; per key create/mod revision,
// version and lease) and the set of leases with their granted TTL (server/storage/mvcc,
// server/lease/lessor.go). Only committed raft entries change it, on every member alike. Lease
// *expiry* is not replicated: the leader's lessor keeps it in memory (lessor.ts) and revokes an
// expired lease through raft.
import type { RaftStateMachine } from '../raft/core.js';

export interface KeyValue {
  key: string;
  value: string;
  createRevision: number;
  modRevision: number;
  version: number;
  /** Lease id, 0 if none. */
  lease: number;
}

/** `etcdserverpb.Compare` with result EQUAL (all Patroni uses). */
export type Compare =
  | { key: string; target: 'VALUE'; value: string }
  | { key: string; target: 'CREATE'; createRevision: number }
  | { key: string; target: 'MOD'; modRevision: number };

export type TxnOp =
  | { put: { key: string; value: string; lease: number } }
  | { del: { key: string; prefix: boolean } }
  | { range: { key: string; prefix: boolean } }
  | { txn: TxnRequest };

export interface TxnRequest {
  compare: Compare[];
  success: TxnOp[];
  failure: TxnOp[];
}

export type EtcdCmd =
  | { op: 'txn'; txn: TxnRequest }
  | { op: 'leaseGrant'; id: number; ttlS: number }
  | { op: 'leaseRevoke'; id: number; expired: boolean };

export interface OpResponse {
  /** For a nested txn. */
  succeeded?: boolean;
  responses?: OpResponse[];
  kvs?: KeyValue[];
  deleted?: number;
}

export type ApplyResult =
  | { ok: true; revision: number; succeeded: boolean; responses: OpResponse[] }
  | { ok: true; revision: number; leaseId: number; ttlS: number }
  | { ok: false; code: number; error: string };

export interface MvccEvent {
  type: 'PUT' | 'DELETE';
  kv: KeyValue;
  prev: KeyValue | null;
  /** The lease revoke that deleted the key (expired: by the leader's lessor). */
  cause: 'write' | 'lease-expired' | 'lease-revoked';
}

interface Lease {
  id: number;
  ttlS: number;
  keys: Set<string>;
}

interface MvccSnapshot {
  revision: number;
  kvs: [string, KeyValue][];
  leases: { id: number; ttlS: number; keys: string[] }[];
}

export const LEASE_NOT_FOUND = 'etcdserver: requested lease not found';

export class Mvcc implements RaftStateMachine<EtcdCmd> {
  revision = 1;
  readonly kvs = new Map<string, KeyValue>();
  readonly leases = new Map<number, Lease>();
  /** Called for every change, in apply order, with the raft index of the entry. */
  onEvent: ((ev: MvccEvent, index: number) => void) | null = null;
  /** Called after a lease grant or revoke is applied. */
  onLease: ((kind: 'grant' | 'revoke', id: number, ttlS: number, index: number) => void) | null = null;
  private index = 0;

  apply(cmd: EtcdCmd, index: number): ApplyResult {
    this.index = index;
    switch (cmd.op) {
      case 'txn':
        return this.applyTxn(cmd.txn);
      case 'leaseGrant': {
        if (!this.leases.has(cmd.id)) this.leases.set(cmd.id, { id: cmd.id, ttlS: cmd.ttlS, keys: new Set() });
        this.onLease?.('grant', cmd.id, cmd.ttlS, index);
        return { ok: true, revision: this.revision, leaseId: cmd.id, ttlS: cmd.ttlS };
      }
      case 'leaseRevoke': {
        const l = this.leases.get(cmd.id);
        if (!l) return { ok: false, code: 5, error: LEASE_NOT_FOUND };
        const keys = [...l.keys].sort();
        this.leases.delete(cmd.id);
        if (keys.length > 0) {
          // one revision for the whole revoke (lessor.Revoke deletes in one txn)
          this.revision++;
          for (const k of keys) this.deleteKey(k, cmd.expired ? 'lease-expired' : 'lease-revoked');
        }
        this.onLease?.('revoke', cmd.id, l.ttlS, index);
        return { ok: true, revision: this.revision, leaseId: cmd.id, ttlS: l.ttlS };
      }
    }
  }

  private applyTxn(t: TxnRequest): ApplyResult {
    // leases named by puts must exist (applierV3backend.checkRequestPut), for the branch taken
    const branch = this.compareAll(t.compare) ? t.success : t.failure;
    if (!this.leasesExist(branch)) return { ok: false, code: 5, error: LEASE_NOT_FOUND };
    const writes = this.hasWrites(t);
    if (writes) this.revision++;
    const r = this.runTxn(t);
    if (writes && !this.changedAny) this.revision--; // nothing was written: the revision does not move
    this.changedAny = false;
    return { ok: true, revision: this.revision, succeeded: r.succeeded ?? false, responses: r.responses ?? [] };
  }

  private changedAny = false;

  private hasWrites(t: TxnRequest): boolean {
    const ops = [...t.success, ...t.failure];
    return ops.some((o) => 'put' in o || 'del' in o || ('txn' in o && this.hasWrites(o.txn)));
  }

  private leasesExist(ops: TxnOp[]): boolean {
    for (const o of ops) {
      if ('put' in o && o.put.lease !== 0 && !this.leases.has(o.put.lease)) return false;
      if ('txn' in o) {
        const b = this.compareAll(o.txn.compare) ? o.txn.success : o.txn.failure;
        if (!this.leasesExist(b)) return false;
      }
    }
    return true;
  }

  private compareAll(cs: Compare[]): boolean {
    for (const c of cs) {
      const kv = this.kvs.get(c.key);
      switch (c.target) {
        case 'VALUE':
          if (!kv || kv.value !== c.value) return false;
          break;
        case 'CREATE':
          if ((kv ? kv.createRevision : 0) !== c.createRevision) return false;
          break;
        case 'MOD':
          if ((kv ? kv.modRevision : 0) !== c.modRevision) return false;
          break;
      }
    }
    return true;
  }

  private runTxn(t: TxnRequest): OpResponse {
    const ok = this.compareAll(t.compare);
    const ops = ok ? t.success : t.failure;
    const responses: OpResponse[] = [];
    for (const o of ops) {
      if ('put' in o) {
        this.putKey(o.put.key, o.put.value, o.put.lease);
        responses.push({});
      } else if ('del' in o) {
        let n = 0;
        for (const k of this.keysOf(o.del.key, o.del.prefix)) {
          this.deleteKey(k, 'write');
          n++;
        }
        responses.push({ deleted: n });
      } else if ('range' in o) {
        responses.push({ kvs: this.keysOf(o.range.key, o.range.prefix).map((k) => ({ ...(this.kvs.get(k) as KeyValue) })) });
      } else {
        responses.push(this.runTxn(o.txn));
      }
    }
    return { succeeded: ok, responses };
  }

  keysOf(key: string, prefix: boolean): string[] {
    if (!prefix) return this.kvs.has(key) ? [key] : [];
    const out: string[] = [];
    for (const k of this.kvs.keys()) if (k.startsWith(key)) out.push(k);
    return out.sort();
  }

  private putKey(key: string, value: string, lease: number): void {
    const prev = this.kvs.get(key) ?? null;
    if (prev && prev.lease !== 0 && prev.lease !== lease) this.leases.get(prev.lease)?.keys.delete(key);
    const kv: KeyValue = {
      key,
      value,
      createRevision: prev ? prev.createRevision : this.revision,
      modRevision: this.revision,
      version: prev ? prev.version + 1 : 1,
      lease,
    };
    this.kvs.set(key, kv);
    if (lease !== 0) this.leases.get(lease)?.keys.add(key);
    this.changedAny = true;
    this.onEvent?.({ type: 'PUT', kv, prev, cause: 'write' }, this.index);
  }

  private deleteKey(key: string, cause: MvccEvent['cause']): void {
    const prev = this.kvs.get(key);
    if (!prev) return;
    this.kvs.delete(key);
    if (prev.lease !== 0) this.leases.get(prev.lease)?.keys.delete(key);
    this.changedAny = true;
    const kv: KeyValue = { key, value: '', createRevision: 0, modRevision: this.revision, version: 0, lease: 0 };
    this.onEvent?.({ type: 'DELETE', kv, prev, cause }, this.index);
  }

  /** Serializable range on this member's applied state. */
  range(key: string, prefix: boolean): KeyValue[] {
    return this.keysOf(key, prefix).map((k) => ({ ...(this.kvs.get(k) as KeyValue) }));
  }

  snapshot(): MvccSnapshot {
    return {
      revision: this.revision,
      kvs: [...this.kvs.entries()].map(([k, v]) => [k, { ...v }]),
      leases: [...this.leases.values()].map((l) => ({ id: l.id, ttlS: l.ttlS, keys: [...l.keys] })),
    };
  }

  restore(data: unknown): void {
    this.kvs.clear();
    this.leases.clear();
    this.revision = 1;
    const s = data as MvccSnapshot | null;
    if (!s) return;
    this.revision = s.revision;
    for (const [k, v] of s.kvs) this.kvs.set(k, { ...v });
    for (const l of s.leases) this.leases.set(l.id, { id: l.id, ttlS: l.ttlS, keys: new Set(l.keys) });
  }
}
