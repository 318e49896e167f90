// `patroni/ha.py _MemberStatus`: a peer's state as its REST API reported it during a leader race.
import { TagView, type Leader, type Member, type Tags } from '../dcs/cluster.js';

export class MemberStatus extends TagView {
  constructor(
    readonly member: Member | Leader,
    readonly reachable: boolean,
    readonly in_recovery: boolean | null,
    readonly wal_position: number,
    readonly data: Record<string, unknown>,
  ) {
    super((data.tags as Tags | undefined) ?? {});
  }

  get name(): string {
    return this.member.name;
  }

  /** `_MemberStatus.from_api_response`; throws (→ unknown) if the body has no xlog, as Patroni's KeyError does. */
  static fromApiResponse(member: Member | Leader, json: Record<string, unknown>): MemberStatus {
    const wal = (json.wal ?? json.xlog) as Record<string, unknown> | undefined;
    if (!wal || typeof wal !== 'object') throw new Error("KeyError: 'xlog'");
    // abuse the difference between primary and replica response formats
    const inRecovery = !(Boolean(wal.location) || json.role === 'master' || json.role === 'primary');
    const lsn = inRecovery ? Math.max(Number(wal.received_location ?? 0) || 0, Number(wal.replayed_location ?? 0) || 0) : 0;
    return new MemberStatus(member, true, inRecovery, lsn, json);
  }

  static unknown(member: Member | Leader): MemberStatus {
    return new MemberStatus(member, false, null, 0, {});
  }

  get timeline(): number {
    return Number(this.data.timeline ?? 0) || 0;
  }

  get watchdog_failed(): boolean {
    return Boolean(this.data.watchdog_failed);
  }

  /** `_MemberStatus.failover_limitation`: why this node can't promote, or null. */
  failover_limitation(): string | null {
    if (!this.reachable) return 'not reachable';
    if (this.nofailover) return 'not allowed to promote';
    if (this.watchdog_failed) return 'not watchdog capable';
    return null;
  }
}
