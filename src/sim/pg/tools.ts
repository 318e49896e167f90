// The data-directory tools: initdb, pg_basebackup, pg_rewind and single-user crash recovery. They
// run while the server is stopped, in the caller's process; their network I/O goes through the
// node's `pg_tools` process to the source server's postmaster.
import type { Task } from '../kernel/task.js';
import { NetError, RemoteError } from '../net/network.js';
import type { RewindResult } from './api.js';
import { RECORD_BYTES } from './config.js';
import { commonPrefixLsn, formatLsn, timelineAt } from './lineage.js';
import { PgCopy, type CopyRequest, type CopyResponse } from './protocol.js';
import type { PgServerImpl } from './server.js';
import { sleepOn } from './wait.js';

const COPY_CHUNK_BYTES = 64 * 1024 * 1024;
/** How long a tool waits for the source to answer one request (connect + a chunk). */
const REQUEST_TIMEOUT_US = 60_000_000;

type SourceInfo = Extract<CopyResponse, { kind: 'source' }>;

function* ask(s: PgServerImpl, sourceHost: string, req: CopyRequest, respBytes = 0, extraTimeoutUs = 0): Task<CopyResponse> {
  const src = s.postmasterOf(sourceHost);
  if (src === null) throw new NetError('refused', `could not translate host name "${sourceHost}"`);
  return yield* s.tools.net.call(s.tools, src, PgCopy, req, { timeoutUs: REQUEST_TIMEOUT_US + extraTimeoutUs, respBytes });
}

function describeError(e: unknown): string {
  if (e instanceof NetError) return `could not connect to server: ${e.message}`;
  if (e instanceof RemoteError) return e.message;
  return e instanceof Error ? e.message : String(e);
}

/** initdb: a new database system with its own identifier, on timeline 1. */
export function* initdb(s: PgServerImpl): Task<boolean> {
  if (s.postmaster.alive) return false;
  const dd = s.dd;
  if (dd.status === 'valid' || dd.status === 'damaged') return false; // "directory exists but is not empty"
  yield* sleepOn(s.host, s.timings.initdbMs * 1000);
  // (the directory may have been filled meanwhile by another tool)
  if (s.postmaster.alive || dd.valid) return false;
  const reg = s.registry;
  const sysid = reg.newSysid(s.host.clock.wallUs(s.sim.nowUs));
  const root = reg.addBranch({ timeline: 1, parent: null, switchLsn: 0, creator: s.name, sysid, reason: 'initdb' });
  const end = RECORD_BYTES.initdbEndLsn;
  reg.noteHead(root.id, end);
  dd.status = 'valid';
  dd.sysid = sysid;
  dd.dataChecksums = s.timings.dataChecksums;
  dd.branch = root.id;
  dd.walEndLsn = end;
  dd.flushLsn = end;
  dd.knownMaxTimeline = 1;
  dd.standbySignal = false;
  dd.baseDataBytes = s.timings.initdbDataBytes;
  dd.lostTailToLsn = 0;
  dd.control = {
    state: 'shut down',
    checkpointLsn: end - RECORD_BYTES.checkpoint,
    redoLsn: end - RECORD_BYTES.checkpoint,
    prevCheckpointLsn: 0,
    checkpointTli: 1,
    minRecoveryLsn: 0,
    minRecoveryTli: 0,
    walLogHints: s.configured.wal_log_hints,
  };
  s.sim.trace.emit('pg.initdb', { node: s.name, sysid, branch: root.id, timeline: 1 });
  s.stateChanged('stopped', 'initdb');
  return true;
}

/**
 * pg_basebackup -X stream from `sourceHost`: the source checkpoints, the data directory is copied
 * (time grows with its size: --max-rate and the link's bandwidth), and the WAL up to the end of the
 * backup comes with it. The result is a standby-to-be on the source's timeline.
 */
export function* basebackup(s: PgServerImpl, sourceHost: string): Task<boolean> {
  if (s.postmaster.alive) return false;
  const dd = s.dd;
  const discarded = dd.valid && dd.branch !== 0 ? { branch: dd.branch, upToLsn: dd.walEndLsn } : s.lastDiscarded;
  s.lastDiscarded = null;
  dd.remove();
  dd.status = 'damaged'; // an incomplete copy until the end
  s.stateChanged('cloning', `pg_basebackup from ${sourceHost}`);
  const fail = (why: string): boolean => {
    // pg_basebackup removes what it created on failure ("removing data directory")
    dd.remove();
    s.sim.trace.emit('pg.clone', { node: s.name, source: sourceHost, ok: false });
    s.stateChanged('uninitialized', `pg_basebackup failed: ${why}`);
    return false;
  };
  let info: SourceInfo;
  try {
    const r = yield* ask(s, sourceHost, { kind: 'backup-start' }, 0, s.timings.basebackupCheckpointMs * 1000);
    if (r.kind !== 'source') return fail('protocol error');
    info = r;
  } catch (e) {
    return fail(describeError(e));
  }
  const rate = s.timings.basebackupBytesPerSec;
  const startUs = s.host.clock.monoUs(s.sim.nowUs);
  let copied = 0;
  const total = info.dataBytes;
  while (copied < total) {
    const bytes = Math.min(COPY_CHUNK_BYTES, total - copied);
    try {
      yield* ask(s, sourceHost, { kind: 'chunk', bytes }, bytes, (bytes / rate) * 1e6);
    } catch (e) {
      return fail(describeError(e));
    }
    copied += bytes;
    // --max-rate: never faster than the configured rate on average
    const due = startUs + (copied / rate) * 1e6;
    const now = s.host.clock.monoUs(s.sim.nowUs);
    if (due > now) yield* sleepOn(s.host, due - now);
  }
  let stop: CopyResponse;
  try {
    stop = yield* ask(s, sourceHost, { kind: 'backup-stop' });
  } catch (e) {
    return fail(describeError(e));
  }
  if (stop.kind !== 'stopped') return fail('protocol error');
  dd.status = 'valid';
  dd.sysid = info.sysid;
  dd.dataChecksums = info.dataChecksums;
  dd.branch = stop.branch;
  dd.walEndLsn = stop.endLsn;
  dd.flushLsn = stop.endLsn;
  dd.knownMaxTimeline = Math.max(stop.knownMaxTimeline, info.timeline);
  dd.baseDataBytes = Math.max(0, info.dataBytes - info.flushLsn);
  dd.standbySignal = false;
  dd.lostTailToLsn = 0;
  // pg_control as copied at backup start: recovery from the backup's checkpoint to its end is needed
  dd.control = {
    state: info.inRecovery ? 'in archive recovery' : 'in production',
    checkpointLsn: info.checkpointLsn,
    redoLsn: Math.min(info.checkpointLsn, info.flushLsn),
    prevCheckpointLsn: info.checkpointLsn,
    checkpointTli: info.controlTimeline,
    minRecoveryLsn: stop.endLsn,
    minRecoveryTli: timelineAt(s.registry, stop.branch, stop.endLsn),
    walLogHints: s.configured.wal_log_hints,
  };
  const rec: { node: string; source: string; ok: boolean; discardedBranch?: number; discardedUpToLsn?: number } = { node: s.name, source: sourceHost, ok: true };
  if (discarded !== null) {
    rec.discardedBranch = discarded.branch;
    rec.discardedUpToLsn = discarded.upToLsn;
  }
  s.sim.trace.emit('pg.clone', rec);
  s.stateChanged('stopped', `cloned from ${sourceHost}`);
  return true;
}

/**
 * pg_rewind --source-server: make the target a copy of the source's history, throwing away the
 * target's WAL past the point where the two histories diverge. Needs a cleanly shut down target
 * with wal_log_hints or data checksums. Compares the timelines in the two pg_control files first:
 * a source that has not checkpointed since its promotion still shows the old timeline, and
 * pg_rewind then reports "no rewind required" without doing anything.
 */
export function* rewind(s: PgServerImpl, sourceHost: string): Task<RewindResult> {
  const dd = s.dd;
  const record = (ok: boolean, fromBranch: number, toBranch: number, forkLsn: number, discardedUpToLsn: number, reason?: string): void => {
    const rec: { node: string; ok: boolean; fromBranch: number; toBranch: number; forkLsn: number; discardedUpToLsn: number; reason?: string } = {
      node: s.name,
      ok,
      fromBranch,
      toBranch,
      forkLsn,
      discardedUpToLsn,
    };
    if (reason !== undefined) rec.reason = reason;
    s.sim.trace.emit('pg.rewind', rec);
  };
  const refuse = (reason: string): RewindResult => {
    record(false, dd.branch, dd.branch, dd.walEndLsn, dd.walEndLsn, reason);
    return { ok: false, reason };
  };
  if (s.postmaster.alive) return refuse('target server must be shut down cleanly');
  if (!dd.valid) return refuse('target data directory is not valid');
  if (!dd.cleanlyShutDown) return refuse('target server must be shut down cleanly');
  if (!dd.control.walLogHints && !dd.dataChecksums) return refuse('target server needs to use either data checksums or "wal_log_hints = on"');
  s.stateChanged('rewinding', `pg_rewind from ${sourceHost}`);
  let src: SourceInfo;
  try {
    const r = yield* ask(s, sourceHost, { kind: 'rewind-source' });
    if (r.kind !== 'source') throw new Error('protocol error');
    src = r;
  } catch (e) {
    s.stateChanged('stopped', 'pg_rewind failed');
    return refuse(describeError(e));
  }
  if (src.sysid !== dd.sysid) {
    s.stateChanged('stopped', 'pg_rewind failed');
    return refuse('source and target clusters are from different systems');
  }
  const fromBranch = dd.branch;
  const targetEnd = dd.walEndLsn;
  // pg_rewind.c: compare the checkpoint timelines of the two control files
  if (src.controlTimeline === dd.control.checkpointTli) {
    s.stateChanged('stopped', 'pg_rewind: no rewind required');
    record(true, fromBranch, fromBranch, targetEnd, targetEnd, 'source and target cluster are on the same timeline; no rewind required');
    return { ok: true };
  }
  const forkLsn = commonPrefixLsn(s.registry, fromBranch, src.branch);
  if (forkLsn < 0) {
    s.stateChanged('stopped', 'pg_rewind failed');
    return refuse('could not find common ancestor of the source and target cluster\'s timelines');
  }
  if (targetEnd <= forkLsn) {
    // the target's WAL ends before the divergence: it can simply follow
    s.stateChanged('stopped', 'pg_rewind: no rewind required');
    record(true, fromBranch, fromBranch, targetEnd, targetEnd, `servers diverged at WAL location ${formatLsn(forkLsn)}; no rewind required`);
    return { ok: true };
  }
  const bytes = Math.max(0, targetEnd - forkLsn) + Math.max(0, src.flushLsn - forkLsn);
  yield* sleepOn(s.host, s.timings.rewindBaseMs * 1000 + (bytes / s.timings.rewindBytesPerSec) * 1e6);
  // fetch the last of the source's WAL: if the source is gone now, the target is left half-rewritten
  let end: CopyResponse;
  try {
    end = yield* ask(s, sourceHost, { kind: 'rewind-source' });
    if (end.kind !== 'source') throw new Error('protocol error');
  } catch (e) {
    dd.status = 'damaged';
    s.stateChanged('stopped', 'pg_rewind failed midway: data directory damaged');
    return refuse(`${describeError(e)} (the target data directory may be damaged)`);
  }
  dd.branch = end.branch;
  dd.walEndLsn = end.flushLsn;
  dd.flushLsn = end.flushLsn;
  dd.knownMaxTimeline = Math.max(dd.knownMaxTimeline, end.knownMaxTimeline, end.timeline);
  dd.lostTailToLsn = 0;
  // pg_rewind writes a backup_label at the last common checkpoint and sets minRecoveryPoint to the
  // source's WAL position: the target must replay to there before it is consistent
  dd.control = {
    ...dd.control,
    state: 'in archive recovery',
    redoLsn: Math.min(dd.control.redoLsn, forkLsn),
    checkpointLsn: Math.min(dd.control.checkpointLsn, forkLsn),
    checkpointTli: timelineAt(s.registry, end.branch, Math.min(dd.control.checkpointLsn, forkLsn)),
    minRecoveryLsn: end.flushLsn,
    minRecoveryTli: end.timeline,
  };
  record(true, fromBranch, end.branch, forkLsn, targetEnd);
  s.stateChanged('stopped', `rewound from ${sourceHost}`);
  return { ok: true };
}

/**
 * `postgres --single`: crash recovery on an unclean data directory, then a shutdown checkpoint.
 * The checkpoints it writes are WAL: a former primary's WAL moves past where it ended.
 */
export function* crashRecoverySingleUser(s: PgServerImpl): Task<boolean> {
  const dd = s.dd;
  if (s.postmaster.alive || !dd.valid) return false;
  if (dd.cleanlyShutDown) return true;
  s.stateChanged('crash-recovery', 'single-user mode crash recovery');
  dd.flushLsn = dd.walEndLsn;
  const bytes = Math.max(0, dd.walEndLsn - dd.control.redoLsn);
  yield* sleepOn(s.host, s.timings.recoveryBaseMs * 1000 + (bytes / s.timings.replayBytesPerSec) * 1e6);
  if (s.postmaster.alive) return false;
  const rec: { node: string; replayedToLsn: number; lostFromLsn?: number } = { node: s.name, replayedToLsn: dd.walEndLsn };
  if (dd.lostTailToLsn > dd.walEndLsn) rec.lostFromLsn = dd.walEndLsn;
  s.sim.trace.emit('pg.recovery', rec);
  dd.lostTailToLsn = 0;
  // end-of-recovery checkpoint, then the shutdown checkpoint on exit
  dd.branch = s.registry.claimForWriting(dd.branch, dd.walEndLsn, s.name, 'single-user crash recovery');
  const prev = dd.walEndLsn + RECORD_BYTES.checkpoint;
  dd.walEndLsn += 2 * RECORD_BYTES.checkpoint;
  dd.flushLsn = dd.walEndLsn;
  s.registry.noteHead(dd.branch, dd.walEndLsn);
  const tli = s.registry.branch(dd.branch).timeline;
  dd.control = {
    ...dd.control,
    state: 'shut down',
    prevCheckpointLsn: dd.walEndLsn - 2 * RECORD_BYTES.checkpoint,
    checkpointLsn: prev,
    redoLsn: prev,
    checkpointTli: tli,
    minRecoveryLsn: 0,
    minRecoveryTli: 0,
  };
  s.stateChanged('stopped', 'single-user crash recovery done');
  return true;
}
