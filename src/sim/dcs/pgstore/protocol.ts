// The SQL a careful engineer would have written for a Patroni backend that keeps its keys in a
// PostgreSQL table, as typed request/response services (one service per statement shape):
//
//   CREATE TABLE patroni_kv (key text PRIMARY KEY, value text NOT NULL, version bigint NOT NULL,
//                            expires_at timestamptz);             -- expires_at: leader and members
//
//   -- load:    SELECT key, value, version FROM patroni_kv
//   --          WHERE key LIKE $prefix || '%' AND (expires_at IS NULL OR expires_at > now())
//   -- lease:   INSERT INTO patroni_kv VALUES ($leader, $me, nextval(...), now() + $ttl)
//   --          ON CONFLICT (key) DO UPDATE SET value = $me, version = EXCLUDED.version,
//   --                                          expires_at = EXCLUDED.expires_at
//   --          WHERE patroni_kv.value = $me OR patroni_kv.expires_at < now()
//   -- release: DELETE FROM patroni_kv WHERE key = $leader AND value = $me
//   -- put/delete with a condition: the same with `WHERE version = $v` / ON CONFLICT DO NOTHING
//
// `now()` is the server's clock (transaction start), so the server alone judges expiry.
import { service, streamService } from '../../net/network.js';
import type { PutCondition } from '../memory/kvDcs.js';

export interface PgRow {
  value: string;
  version: number;
  /** Server wall-clock time (µs) after which the row no longer counts, or null. */
  expiresAtWallUs: number | null;
}

/** Every request names the connection it runs on: a restarted or promoted server has new ones. */
export interface OnConnection {
  connId: number;
  /**
   * The client's wall clock when it sent the statement. Not part of the protocol: ground truth
   * for lock records (the holder's own deadline is its send time + ttl).
   */
  sentWallUs: number;
}

export interface PgHelloResponse {
  /** `pg_is_in_recovery()`: libpq's target_session_attrs=read-write skips such a host. */
  inRecovery: boolean;
  connId: number;
}

export const PgHello = service<Record<string, never>, PgHelloResponse>('pgstore-connect');
export const PgLoad = service<OnConnection & { prefix: string }, { rows: [string, number, string][] }>('pgstore-load');
export const PgPut = service<OnConnection & { key: string; value: string; cond: PutCondition; ttlMs?: number }, { version: number | false }>('pgstore-put');
export const PgDelete = service<OnConnection & { key: string; cond: PutCondition }, { ok: boolean }>('pgstore-delete');
export const PgLease = service<OnConnection & { key: string; holder: string; ttlMs: number; take: boolean }, { ok: boolean }>('pgstore-lease');
export const PgRelease = service<OnConnection & { key: string; holder: string }, { ok: boolean }>('pgstore-release');

/** Physical streaming replication to the standby, as row images (cost follows changes, not rows). */
export type WalMessage =
  | { kind: 'snapshot'; rows: [string, PgRow][]; rev: number }
  | { kind: 'change'; key: string; row: PgRow | null; rev: number }
  | { kind: 'keepalive' };
export const PgWal = streamService<{ kind: 'start' }, WalMessage>('pgstore-wal');

/** Server error texts the client recognises (libpq would see these SQLSTATEs). */
export const READ_ONLY = 'cannot execute statement in a read-only transaction (25006)';
export const CONNECTION_LOST = 'server closed the connection unexpectedly';
