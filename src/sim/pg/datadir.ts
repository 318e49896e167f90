// A node's data directory: what survives a crash. The WAL is described by positions only — the tip
// branch and two LSNs: `walEndLsn` (written to the WAL files, i.e. in the OS page cache; survives a
// process crash) and `flushLsn` (fsynced; survives power loss). The control file is pg_control as
// pg_controldata prints it. Everything else about a server (WAL buffers, walsenders, replay
// position, waiting commits) lives in the postmaster's memory and dies with it.
import type { ControlData, DataDirectory } from './api.js';

export type ClusterState = ControlData['clusterState'];

export interface ControlFile {
  state: ClusterState;
  /** "Latest checkpoint location" (start of the checkpoint record) and its REDO point. */
  checkpointLsn: number;
  redoLsn: number;
  prevCheckpointLsn: number;
  /** "Latest checkpoint's TimeLineID". */
  checkpointTli: number;
  /** "Minimum recovery ending location" and its timeline (0/0 and 0 outside archive recovery). */
  minRecoveryLsn: number;
  minRecoveryTli: number;
  /** "wal_log_hints setting" as of the last start. */
  walLogHints: boolean;
}

export type DataDirStatus = 'absent' | 'empty' | 'valid' | 'damaged';

export class PgDataDir {
  status: DataDirStatus = 'absent';
  sysid: string | null = null;
  dataChecksums = false;
  /** Tip branch of the WAL in pg_wal. */
  branch = 0;
  walEndLsn = 0;
  flushLsn = 0;
  /** Highest timeline with a history file in pg_wal (findNewestTimeLine). */
  knownMaxTimeline = 0;
  /** standby.signal present. */
  standbySignal = false;
  control: ControlFile = emptyControl();
  /** Size of the relation files (grows with the WAL written). */
  baseDataBytes = 0;
  /** Ground truth only (not visible to the server): the WAL end in memory when the last life ended. */
  lostTailToLsn = 0;

  get valid(): boolean {
    return this.status === 'valid';
  }

  /** Approximate size of the data directory (what pg_basebackup copies). */
  dataBytes(): number {
    return this.baseDataBytes + this.flushLsn;
  }

  describe(): DataDirectory {
    return {
      exists: this.status !== 'absent',
      empty: this.status === 'empty' || this.status === 'absent',
      systemIdentifier: this.status === 'valid' ? this.sysid : null,
    };
  }

  /** Wipe (rm -rf $PGDATA). */
  remove(): void {
    this.status = 'absent';
    this.sysid = null;
    this.branch = 0;
    this.walEndLsn = 0;
    this.flushLsn = 0;
    this.knownMaxTimeline = 0;
    this.standbySignal = false;
    this.control = emptyControl();
    this.baseDataBytes = 0;
    this.lostTailToLsn = 0;
  }

  /** Power loss: whatever was written but not fsynced is gone. */
  losePageCache(): void {
    if (this.walEndLsn > this.flushLsn) {
      this.lostTailToLsn = Math.max(this.lostTailToLsn, this.walEndLsn);
      this.walEndLsn = this.flushLsn;
    }
  }

  /** Whether the last shutdown was clean (no recovery needed on start). */
  get cleanlyShutDown(): boolean {
    return this.control.state === 'shut down' || this.control.state === 'shut down in recovery';
  }
}

export function emptyControl(): ControlFile {
  return {
    state: 'shut down',
    checkpointLsn: 0,
    redoLsn: 0,
    prevCheckpointLsn: 0,
    checkpointTli: 0,
    minRecoveryLsn: 0,
    minRecoveryTli: 0,
    walLogHints: false,
  };
}
