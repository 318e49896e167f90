// The NFS server of the file store (seed D8): a directory of small files on one host's disk. It
// knows nothing of leases or expiry; it offers what a file system offers: exclusive create (atomic
// at the server), whole-file writes, reads, removes, and a change attribute per file.
import { Process } from '../../host/process.js';
import type { Host } from '../../host/host.js';
import type { Task } from '../../kernel/task.js';
import { NfsCreate, NfsRead, NfsReadDir, NfsRemove, NfsWrite, type NfsEntry, type NfsRequest } from './protocol.js';

interface NfsFile {
  content: string;
  changeId: number;
  /** The exclusive-create verifier it was created with, if any. */
  verifier: string | null;
}

/** nfsd's time to handle a small request (µs). */
const SERVICE_US = 150;
/** Entries the duplicate request cache keeps. */
const DRC_SIZE = 1024;

export class NfsServer extends Process {
  // on disk
  readonly files = new Map<string, NfsFile>();
  private change = 0;
  // memory
  private drc = new Map<string, unknown>();

  constructor(
    host: Host,
    readonly member: string,
    private readonly onChange?: () => void,
  ) {
    super(host, 'nfsd');
  }

  protected onStart(): void {
    this.drc = new Map();
    const net = this.net;
    net.listen(this, NfsReadDir, (r) => this.readDir(r));
    net.listen(this, NfsRead, (r) => this.read(r));
    net.listen(this, NfsCreate, (r) => this.once(r, () => this.create(r)));
    net.listen(this, NfsWrite, (r) => this.once(r, () => this.write(r)));
    net.listen(this, NfsRemove, (r) => this.once(r, () => this.remove(r)));
    this.onChange?.();
  }

  protected override onExit(): void {
    this.onChange?.();
  }

  private *serve(stable: boolean): Task<void> {
    yield* this.sleep(SERVICE_US);
    // stable writes reach the disk before the reply (NFSv3 FILE_SYNC / COMMIT)
    if (stable) yield* this.sleep(this.host.disk.fsyncDelayUs(this.sim.nowUs));
  }

  /** Run a non-idempotent request once per xid; a retransmission gets the cached reply. */
  private *once<T>(req: NfsRequest, op: () => T): Task<T> {
    const key = `${req.client}:${req.xid}`;
    if (this.drc.has(key)) {
      yield* this.serve(false);
      return this.drc.get(key) as T;
    }
    yield* this.serve(true);
    if (this.drc.has(key)) return this.drc.get(key) as T;
    const r = op();
    this.drc.set(key, r);
    if (this.drc.size > DRC_SIZE) this.drc.delete(this.drc.keys().next().value as string);
    return r;
  }

  private *readDir(req: NfsRequest & { prefix: string }): Task<{ entries: NfsEntry[] }> {
    yield* this.serve(false);
    const out: NfsEntry[] = [];
    for (const [p, f] of this.files) if (p.startsWith(req.prefix)) out.push([p, f.content, f.changeId]);
    out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    return { entries: out };
  }

  private *read(req: NfsRequest & { path: string }): Task<{ content: string; changeId: number } | { enoent: true }> {
    yield* this.serve(false);
    const f = this.files.get(req.path);
    return f ? { content: f.content, changeId: f.changeId } : { enoent: true };
  }

  private create(req: NfsRequest & { path: string; content: string; verifier: string }): { changeId: number } | { eexist: true } {
    const f = this.files.get(req.path);
    if (f) return f.verifier === req.verifier ? { changeId: f.changeId } : { eexist: true };
    const nf: NfsFile = { content: req.content, changeId: ++this.change, verifier: req.verifier };
    this.files.set(req.path, nf);
    return { changeId: nf.changeId };
  }

  private write(req: NfsRequest & { path: string; content: string }): { changeId: number } {
    const f = this.files.get(req.path);
    const nf: NfsFile = { content: req.content, changeId: ++this.change, verifier: f?.verifier ?? null };
    this.files.set(req.path, nf);
    return { changeId: nf.changeId };
  }

  private remove(req: NfsRequest & { path: string }): { ok: boolean } {
    return { ok: this.files.delete(req.path) };
  }
}
