// Deployment of the file store (kind "file"): an NFS server on members[0]; every Patroni host
// mounts its export. Options (the mount options of every client):
//   cto (default true), actimeoMs (3000), hard (true), timeoMs (60000), retrans (2), requestTimeoutMs.
// Fault: `nfs-outage` { store? } — nfsd is down (crashed) until healed.
import type { Process } from '../../host/process.js';
import type { World } from '../../world.js';
import type { AbstractDCS, DcsTiming } from '../abstract.js';
import type { DcsBackendDefinition, DcsDeployment, DcsDeploySpec } from '../backend.js';
import { booleanOption, DcsConfigurationError, numberOption, rejectUnknownOptions } from '../memory/errors.js';
import { basePath } from '../memory/keys.js';
import { pickTarget, registerOnce, storeTargets } from '../memory/storeTargets.js';
import { DEFAULT_MOUNT, FileDCS, type NfsMountOptions } from './client.js';
import { NfsServer } from './server.js';

const KIND = 'file' as const;

declare module '../../faults/nemesis.js' {
  interface FaultActionMap {
    /** The file store's NFS server is down (crashed) until healed. */
    'nfs-outage': { store?: string };
  }
}

class FileDeployment implements DcsDeployment {
  readonly kind = KIND;
  readonly servers: readonly Process[];
  private readonly nfsd: NfsServer;
  private readonly mount: NfsMountOptions;
  private readonly requestTimeoutMs: number | undefined;

  constructor(
    private readonly world: World,
    private readonly spec: DcsDeploySpec,
  ) {
    const o = spec.options;
    rejectUnknownOptions(KIND, o, ['cto', 'actimeoMs', 'hard', 'timeoMs', 'retrans', 'requestTimeoutMs']);
    if (spec.members.length !== 1) throw new DcsConfigurationError(KIND, `needs exactly one NFS server member (got ${spec.members.length})`);
    this.mount = {
      cto: booleanOption(KIND, o, 'cto', DEFAULT_MOUNT.cto),
      actimeoMs: numberOption(KIND, o, 'actimeoMs', DEFAULT_MOUNT.actimeoMs),
      hard: booleanOption(KIND, o, 'hard', DEFAULT_MOUNT.hard),
      timeoMs: numberOption(KIND, o, 'timeoMs', DEFAULT_MOUNT.timeoMs),
      retrans: numberOption(KIND, o, 'retrans', DEFAULT_MOUNT.retrans),
    };
    this.requestTimeoutMs = o.requestTimeoutMs === undefined ? undefined : numberOption(KIND, o, 'requestTimeoutMs', 0);
    const m = spec.members[0] as { name: string; host: string };
    this.nfsd = new NfsServer(world.net.host(m.host), m.name, () =>
      world.sim.trace.emit('dcs.quorum', { store: spec.store, ok: this.nfsd.running, leader: this.nfsd.running ? m.name : null }),
    );
    this.servers = [this.nfsd];
    this.nfsd.host.onBoot(() => this.nfsd.start('started at boot'));
    const targets = storeTargets<FileDeployment>(world, KIND);
    targets.set(spec.store, this);
    registerOnce(world.nemesis, 'nfs-outage', () =>
      world.nemesis.register('nfs-outage', {
        apply: (a) => {
          const d = pickTarget(targets, KIND, a.store);
          d.nfsd.crash('nfs outage');
          return () => {
            d.nfsd.start('nfs back');
          };
        },
        describe: (a) => `NFS server of the file store${a.store ? ` ${a.store}` : ''} down`,
      }),
    );
  }

  get store(): string {
    return this.spec.store;
  }

  start(): void {
    this.nfsd.start('store started');
  }

  client(proc: Process, memberName: string, timing: DcsTiming): AbstractDCS {
    return new FileDCS(proc, memberName, timing, this.spec.store, this.spec.scope, this.spec.namespace, this.nfsd, this.mount, this.requestTimeoutMs);
  }

  /** The holder of the current (highest) lock file while its own clock lets it believe it holds it. */
  leaderHolder(scope: string): string | null {
    const base = basePath(this.spec.namespace, scope);
    let best: { gen: number; content: string } | null = null;
    for (const [p, f] of this.nfsd.files) {
      const m = /^leader\.(\d+)$/.exec(p.startsWith(base) ? p.slice(base.length) : '');
      if (m && (best === null || Number(m[1]) > best.gen)) best = { gen: Number(m[1]), content: f.content };
    }
    if (!best) return null;
    const c = JSON.parse(best.content) as { holder: string; exp: number; released?: boolean };
    if (c.released || !this.world.net.hasHost(c.holder)) return c.released ? null : c.holder;
    const holderHost = this.world.net.host(c.holder);
    return holderHost.clock.wallUs(this.world.sim.nowUs) < c.exp ? c.holder : null;
  }
}

export const fileBackend: DcsBackendDefinition = {
  kind: KIND,
  summary: "a shared file on an NFS server: exclusive create only, no server-side expiry; leases judged by each reader's own clock through the NFS client cache",
  defaultMembers: 1,
  deploy(world: World, spec: DcsDeploySpec): DcsDeployment {
    return new FileDeployment(world, spec);
  },
};
