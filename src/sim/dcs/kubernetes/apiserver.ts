// A kube-apiserver in front of the etcd cluster (etcd.ts models etcd itself). It stores objects
// (ConfigMaps / Endpoints, Pods) as JSON under /registry/<kind>/<namespace>/<name>; resourceVersion
// is the etcd mod revision. GET and LIST are quorum reads from etcd (resourceVersion=""), PATCH with
// metadata.resourceVersion is a compare-and-swap on the mod revision (409 Conflict otherwise), and
// watches are served from the API server's own watch on etcd (the watch cache). When etcd cannot
// answer, requests fail with 500/504 after the storage timeout.
import type { Host } from '../../host/host.js';
import { Process } from '../../host/process.js';
import { NetError, RemoteError, service, streamService, type StreamEnd } from '../../net/network.js';
import type { Task } from '../../kernel/task.js';
import { Deferred } from '../../kernel/task.js';
import { EtcdRange, EtcdTxn, EtcdWatch, type EtcdMember } from '../etcd/server.js';
import type { KeyValue } from '../etcd/mvcc.js';

export type K8sKind = 'configmap' | 'pod';

export interface K8sObject {
  kind: K8sKind;
  name: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  resourceVersion: string;
}

export type K8sRequest =
  | { op: 'list'; kind: K8sKind }
  | { op: 'get'; kind: K8sKind; name: string }
  | { op: 'patch'; kind: K8sKind; name: string; annotations: Record<string, string | null>; resourceVersion: string | null; upsert: boolean }
  | { op: 'create'; kind: K8sKind; name: string; annotations: Record<string, string | null> };

export type K8sResponse = { items: K8sObject[]; resourceVersion: string } | { object: K8sObject };

export const K8sApi = service<K8sRequest, K8sResponse>('k8s.api');
export type K8sWatchEvent = { type: 'ADDED' | 'MODIFIED' | 'DELETED'; object: K8sObject } | { type: 'ERROR'; code: number };
export const K8sWatch = streamService<{ kind: K8sKind; resourceVersion: string }, K8sWatchEvent>('k8s.watch');

const STORAGE_TIMEOUT_US = 5_000_000;

export function k8sStatus(status: number, reason: string): RemoteError {
  return new RemoteError(reason, status, { status, reason });
}

function keyOf(kind: K8sKind, name: string): string {
  return `/registry/${kind}/${name}`;
}

function decode(kv: KeyValue): K8sObject {
  const o = JSON.parse(kv.value) as Omit<K8sObject, 'resourceVersion'>;
  return { ...o, resourceVersion: String(kv.modRevision) };
}

interface ClientWatch {
  end: StreamEnd<K8sWatchEvent, { kind: K8sKind; resourceVersion: string }>;
  kind: K8sKind;
}

export class KubeApiServer extends Process {
  private watchers: ClientWatch[] = [];
  private etcdIdx = 0;
  private history: { rev: number; ev: K8sWatchEvent }[] = [];
  private cacheReady = false;

  constructor(
    host: Host,
    name: string,
    private readonly etcd: () => readonly EtcdMember[],
  ) {
    super(host, name);
  }

  protected onStart(): void {
    this.watchers = [];
    this.history = [];
    this.cacheReady = false;
    const local = this.etcd().findIndex((m) => m.host === this.host);
    this.etcdIdx = local >= 0 ? local : 0;
    this.net.listen(this, K8sApi, (r) => this.serve(r));
    this.net.listenStream(this, K8sWatch, (end) => this.acceptWatch(end));
    this.spawn('apiserver watch cache', this.watchCache());
  }

  // ---- storage (etcd client with failover) -------------------------------------------------------

  private *storage<R>(fn: (m: EtcdMember) => Task<R>): Task<R> {
    const ms = this.etcd();
    const deadline = this.monoUs() + STORAGE_TIMEOUT_US;
    for (let i = 0; ; i++) {
      const m = ms[(this.etcdIdx + i) % ms.length] as EtcdMember;
      try {
        return yield* fn(m);
      } catch (e) {
        if (!(e instanceof NetError) && !(e instanceof RemoteError)) throw e;
        if (this.monoUs() >= deadline) throw k8sStatus(504, 'Timeout: request did not complete within the allotted timeout');
        this.etcdIdx = (this.etcdIdx + 1) % ms.length;
        if (i % ms.length === ms.length - 1) yield* this.sleep(200_000);
      }
    }
  }

  private *range(key: string, prefix: boolean): Task<{ kvs: KeyValue[]; revision: number }> {
    return yield* this.storage((m) =>
      (function* (self: KubeApiServer) {
        const r = yield* self.net.call(self, m, EtcdRange, { key, prefix, serializable: false }, { timeoutUs: STORAGE_TIMEOUT_US / 2 });
        return { kvs: r.kvs, revision: r.header.revision };
      })(this),
    );
  }

  private *serve(req: K8sRequest): Task<K8sResponse> {
    switch (req.op) {
      case 'list': {
        const r = yield* this.range(`/registry/${req.kind}/`, true);
        return { items: r.kvs.map(decode), resourceVersion: String(r.revision) };
      }
      case 'get': {
        const r = yield* this.range(keyOf(req.kind, req.name), false);
        const kv = r.kvs[0];
        if (!kv) throw k8sStatus(404, 'NotFound');
        return { object: decode(kv) };
      }
      case 'create': {
        const obj = { kind: req.kind, name: req.name, labels: {}, annotations: clean(req.annotations) };
        const key = keyOf(req.kind, req.name);
        const r = yield* this.storage((m) =>
          (function* (self: KubeApiServer) {
            return yield* self.net.call(self, m, EtcdTxn, { txn: { compare: [{ key, target: 'CREATE', createRevision: 0 }], success: [{ put: { key, value: JSON.stringify(obj), lease: 0 } }], failure: [] } }, { timeoutUs: STORAGE_TIMEOUT_US / 2 });
          })(this),
        );
        if (!r.succeeded) throw k8sStatus(409, 'AlreadyExists');
        return { object: { ...obj, resourceVersion: String(r.header.revision) } };
      }
      case 'patch': {
        // GuaranteedUpdate: read, merge, CAS on the mod revision; a client precondition that does
        // not match is a 409 Conflict; a concurrent writer without precondition is retried
        for (let attempt = 0; attempt < 5; attempt++) {
          const key = keyOf(req.kind, req.name);
          const cur = (yield* this.range(key, false)).kvs[0];
          if (!cur && !req.upsert) throw k8sStatus(404, 'NotFound');
          if (req.resourceVersion !== null && (!cur || String(cur.modRevision) !== req.resourceVersion)) throw k8sStatus(409, 'Conflict');
          const base: Omit<K8sObject, 'resourceVersion'> = cur ? (JSON.parse(cur.value) as K8sObject) : { kind: req.kind, name: req.name, labels: {}, annotations: {} };
          const annotations = { ...base.annotations };
          for (const [k, v] of Object.entries(req.annotations)) {
            if (v === null) delete annotations[k];
            else annotations[k] = v;
          }
          const obj = { kind: req.kind, name: req.name, labels: base.labels, annotations };
          const modRevision = cur ? cur.modRevision : 0;
          const compare = cur ? [{ key, target: 'MOD' as const, modRevision }] : [{ key, target: 'CREATE' as const, createRevision: 0 }];
          const r = yield* this.storage((m) =>
            (function* (self: KubeApiServer) {
              return yield* self.net.call(self, m, EtcdTxn, { txn: { compare, success: [{ put: { key, value: JSON.stringify(obj), lease: 0 } }], failure: [] } }, { timeoutUs: STORAGE_TIMEOUT_US / 2 });
            })(this),
          );
          if (r.succeeded) return { object: { ...obj, resourceVersion: String(r.header.revision) } };
          if (req.resourceVersion !== null) throw k8sStatus(409, 'Conflict');
        }
        throw k8sStatus(409, 'Conflict');
      }
    }
  }

  // ---- the watch cache -----------------------------------------------------------------------------

  private *watchCache(): Task<void> {
    for (;;) {
      try {
        const m = this.etcd()[this.etcdIdx] as EtcdMember;
        const end = yield* this.net.connect(this, m, EtcdWatch, STORAGE_TIMEOUT_US);
        const ended = new Deferred<void>();
        end.onMessage((msg) => {
          if (msg.t === 'created') this.cacheReady = true;
          if (msg.t === 'canceled') ended.resolve();
          if (msg.t !== 'events') return;
          for (const ev of msg.events) this.relay(ev.type, ev.kv);
        });
        end.onClose(() => ended.resolve());
        end.send({ t: 'create', key: '/registry/', prefix: true, startRevision: 0 });
        yield* ended.wait();
      } catch {
        // retry below
      }
      this.cacheReady = false;
      // the watch cache is gone: every client watch ends (clients re-list)
      for (const w of this.watchers) w.end.close();
      this.watchers = [];
      this.etcdIdx = (this.etcdIdx + 1) % this.etcd().length;
      yield* this.sleep(1_000_000);
    }
  }

  private relay(type: 'PUT' | 'DELETE', kv: KeyValue): void {
    const kind = kv.key.split('/')[2] as K8sKind;
    const name = kv.key.split('/').slice(3).join('/');
    let ev: K8sWatchEvent;
    if (type === 'DELETE') ev = { type: 'DELETED', object: { kind, name, labels: {}, annotations: {}, resourceVersion: String(kv.modRevision) } };
    else ev = { type: kv.version === 1 ? 'ADDED' : 'MODIFIED', object: decode(kv) };
    this.history.push({ rev: kv.modRevision, ev });
    if (this.history.length > 256) this.history.shift();
    for (const w of this.watchers) if (w.kind === kind) w.end.send(ev, 256);
  }

  private acceptWatch(end: StreamEnd<K8sWatchEvent, { kind: K8sKind; resourceVersion: string }>): void {
    end.onMessage((m) => {
      if (!this.cacheReady) {
        end.send({ type: 'ERROR', code: 500 });
        end.close();
        return;
      }
      const rv = Number(m.resourceVersion);
      const oldest = this.history[0];
      if (oldest !== undefined && this.history.length >= 256 && rv < oldest.rev) {
        end.send({ type: 'ERROR', code: 410 });
        end.close();
        return;
      }
      this.watchers.push({ end, kind: m.kind });
      for (const h of this.history) if (h.rev > rv && 'object' in h.ev && h.ev.object.kind === m.kind) end.send(h.ev, 256);
    });
    end.onClose(() => {
      this.watchers = this.watchers.filter((w) => w.end !== end);
    });
  }
}

function clean(a: Record<string, string | null>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(a)) if (v !== null) out[k] = v;
  return out;
}
