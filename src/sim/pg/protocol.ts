// The streaming replication protocol as the model speaks it (src/backend/replication/walsender.c,
// walreceiver.c, protocol-replication docs): START_REPLICATION, XLogData carrying an LSN range
// (never the records themselves: the run-wide registry knows what is in a range), primary keepalive
// messages, and standby status updates with write / flush / apply positions.
import { service, streamService } from '../net/network.js';

/** Standby -> upstream. */
export type RepC2S =
  /** IDENTIFY_SYSTEM + TIMELINE_HISTORY + START_REPLICATION in one message. */
  | { t: 'start'; applicationName: string; sysid: string; branch: number; timeline: number; startLsn: number; slotName?: string }
  /** Standby status update ('r'). */
  | { t: 'reply'; write: number; flush: number; apply: number; replyRequested: boolean };

/** Upstream -> standby. */
export type RepS2C =
  /** Streaming starts: the upstream's current branch and timeline (its history is in the registry). */
  | { t: 'hello'; branch: number; timeline: number; flushLsn: number }
  /**
   * The upstream refused. `diverged`: the standby's WAL is not a prefix of the upstream's history
   * (or it is on a newer timeline); `retry`: try again later (upstream behind, starting up...).
   */
  | { t: 'refused'; reason: 'diverged' | 'retry' | 'sysid'; message: string; upstreamTimeline: number }
  /** XLogData: the WAL range (fromLsn, toLsn] of `branch`; `wallUs`: the upstream's clock when sent. */
  | { t: 'wal'; branch: number; fromLsn: number; toLsn: number; applyFeedback: boolean; wallUs: number }
  /** Primary keepalive ('k'). */
  | { t: 'keepalive'; flushLsn: number; replyRequested: boolean };

export const PgReplication = streamService<RepC2S, RepS2C>('pg.replication');

/** Size of one XLogData message at most (the model chunks large catch-ups). */
export const MAX_WAL_MESSAGE_BYTES = 16 * 1024 * 1024;

/** Base backup / pg_rewind file copy from a running server (BASE_BACKUP, or libpq for pg_rewind). */
export type CopyRequest =
  | { kind: 'backup-start' }
  | { kind: 'rewind-source' }
  | { kind: 'chunk'; bytes: number }
  | { kind: 'backup-stop' };

export type CopyResponse =
  | {
      kind: 'source';
      sysid: string;
      branch: number;
      timeline: number;
      flushLsn: number;
      inRecovery: boolean;
      /** pg_control's "Latest checkpoint's TimeLineID" on the source. */
      controlTimeline: number;
      checkpointLsn: number;
      knownMaxTimeline: number;
      dataBytes: number;
      dataChecksums: boolean;
    }
  | { kind: 'chunk'; bytes: number }
  | { kind: 'stopped'; branch: number; endLsn: number; knownMaxTimeline: number };

export const PgCopy = service<CopyRequest, CopyResponse>('pg.copy');
