// libpq multi-host connection strings: `host=pg1,pg2,pg3 target_session_attrs=read-write`.
// libpq (fe-connect.c) tries the hosts in order (load_balance_hosts=disable), each with
// connect_timeout; after connecting it checks the session: since PostgreSQL 14 from the
// `in_hot_standby` / `default_transaction_read_only` parameters the server reports at startup
// (older servers: SHOW transaction_read_only). A session that does not qualify is closed and the
// next host is tried. Once connected, the session stays on its server until it breaks — whatever
// happens to that server's role meanwhile.
import type { Task } from '../kernel/task.js';
import type { Process } from '../host/process.js';
import { ConnectionLost, PgClientSession } from './session.js';
import { postgresOf, TargetTracker, type Router } from './router.js';
import { PgSqlError } from '../pg/sql.js';

export type TargetSessionAttrs = 'any' | 'read-write' | 'primary' | 'standby' | 'prefer-standby';

export interface LibpqOptions {
  hosts: string[];
  targetSessionAttrs: TargetSessionAttrs;
  /** connect_timeout per host, ms; null: none (the kernel's SYN retries, ~127 s). libpq minimum is 2 s. */
  connectTimeoutMs: number | null;
}

export class LibpqRouter implements Router {
  readonly name: string;
  private trackerSim: unknown = null;
  private tracked: TargetTracker | null = null;

  constructor(
    name: string,
    readonly opts: LibpqOptions,
  ) {
    this.name = name;
  }

  private track(proc: Process): TargetTracker {
    if (this.tracked === null || this.trackerSim !== proc.sim) {
      this.tracked = new TargetTracker(proc.sim, this.name);
      this.trackerSim = proc.sim;
    }
    return this.tracked;
  }

  *connect(proc: Process): Task<PgClientSession> {
    const o = this.opts;
    const timeoutUs = o.connectTimeoutMs === null ? null : Math.max(2_000, o.connectTimeoutMs) * 1000;
    const errors: string[] = [];
    const wantsStandby = o.targetSessionAttrs === 'standby' || o.targetSessionAttrs === 'prefer-standby';
    let fallback: string | null = null;
    for (const pass of wantsStandby && o.targetSessionAttrs === 'prefer-standby' ? [0, 1] : [0]) {
      for (const host of o.hosts) {
        if (pass === 1 && host !== fallback) continue;
        let s: PgClientSession;
        try {
          s = yield* PgClientSession.open(proc, postgresOf(proc.sim, host), { connectTimeoutUs: timeoutUs });
        } catch (e) {
          if (e instanceof ConnectionLost || e instanceof PgSqlError) {
            errors.push(`${host}: ${e.message}`);
            continue;
          }
          throw e;
        }
        const ok =
          o.targetSessionAttrs === 'any' ||
          pass === 1 ||
          ((o.targetSessionAttrs === 'read-write' || o.targetSessionAttrs === 'primary') && !s.inRecoveryAtConnect) ||
          (wantsStandby && s.inRecoveryAtConnect);
        if (!ok) {
          if (fallback === null) fallback = host;
          errors.push(`${host}: session is ${s.inRecoveryAtConnect ? 'read-only' : 'read-write'}`);
          s.close();
          continue;
        }
        this.track(proc).set(host, `connected (target_session_attrs=${o.targetSessionAttrs})`);
        return s;
      }
    }
    this.track(proc).set(null, 'no host qualified');
    throw new ConnectionLost(`could not connect to any host: ${errors.join('; ')}`, false);
  }
}
