// SQL as clients reach it: a session (one TCP connection, the frontend/backend protocol) over which
// queries run one at a time, and one-shot administrative calls (what Patroni's rewind check and
// libpq's target_session_attrs probe ask). The postmaster serves both; routers proxy sessions.
//
// Errors carry PostgreSQL's SQLSTATE codes (src/backend/utils/errcodes.txt), so clients can tell a
// certain failure (read-only, cannot connect now) from an unknown outcome (the connection died
// after COMMIT was sent).
import { service, streamService } from '../net/network.js';
import type { TimelineHistoryEntry } from './api.js';

export type SqlQuery =
  /** INSERT + COMMIT of one client write. `bytes`: WAL it generates (default from the server's timings). */
  | { kind: 'write'; writeId: number; bytes?: number }
  /** SELECT of the highest write id this session can see (hot standby reads included). */
  | { kind: 'read' }
  /** SELECT pg_is_in_recovery() (libpq's target_session_attrs=read-write check). */
  | { kind: 'is_in_recovery' };

export type SqlResult =
  | {
      kind: 'write';
      node: string;
      lsn: number;
      timeline: number;
      branch: number;
      /** Set when the wait for synchronous replication was cancelled: COMMIT returned anyway. */
      warning?: string;
    }
  | { kind: 'read'; node: string; inRecovery: boolean; timeline: number; branch: number; lsn: number; sawWriteId: number }
  | { kind: 'is_in_recovery'; node: string; inRecovery: boolean };

/** SQLSTATE codes the model produces. */
export const SQLSTATE = {
  readOnly: '25006',
  cannotConnectNow: '57P03',
  adminShutdown: '57P01',
  crashShutdown: '57P02',
  queryCanceled: '57014',
  connectionFailure: '08006',
  featureNotSupported: '0A000',
} as const;

export interface SqlError {
  code: string;
  message: string;
}

/** Frontend -> backend. */
export type SessionC2S =
  | { t: 'startup'; user: string }
  | { t: 'query'; id: number; q: SqlQuery }
  /** A cancel request (PostgreSQL sends it on a separate connection; the effect is the same). */
  | { t: 'cancel'; id: number };

/** Backend -> frontend. */
export type SessionS2C =
  | { t: 'ready'; node: string; inRecovery: boolean }
  | { t: 'result'; id: number; r: SqlResult }
  | { t: 'error'; id: number; err: SqlError }
  /** The backend ends the session (FATAL) and closes the connection. */
  | { t: 'fatal'; err: SqlError };

/** The PostgreSQL port: one stream per client connection. */
export const PgSession = streamService<SessionC2S, SessionS2C>('pg.session');

/** One-shot administrative requests (each is a short connection in real life). */
export type AdminRequest =
  | { kind: 'is_in_recovery' }
  /** Replication protocol IDENTIFY_SYSTEM. */
  | { kind: 'identify_system' }
  /** Replication protocol TIMELINE_HISTORY tli. */
  | { kind: 'timeline_history'; timeline: number }
  /** CHECKPOINT (superuser). */
  | { kind: 'checkpoint' }
  /** SELECT timeline_id FROM pg_control_checkpoint(). */
  | { kind: 'control_checkpoint' };

export type AdminResponse =
  | { kind: 'is_in_recovery'; inRecovery: boolean }
  | { kind: 'identify_system'; systemIdentifier: string; timeline: number; xlogPos: number }
  | { kind: 'timeline_history'; history: TimelineHistoryEntry[] }
  | { kind: 'checkpoint'; ok: true }
  | { kind: 'control_checkpoint'; timeline: number; checkpointLsn: number };

/** Administrative SQL / replication commands; throws RemoteError(SqlError) on failure. */
export const PgAdmin = service<AdminRequest, AdminResponse>('pg.admin');

/** Thrown by client helpers for a server-reported SQL error. */
export class PgSqlError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'PgSqlError';
  }
}

export function sqlError(code: string, message: string): SqlError {
  return { code, message };
}
