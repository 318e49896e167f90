// The NFS operations the file store's client uses (NFSv3-like), as typed services. Every request
// carries the client's name and a transaction id: retransmissions reuse the xid, and the server's
// duplicate request cache answers a retransmitted non-idempotent request (CREATE, REMOVE) with the
// reply it gave the first time (RFC 1813 implementations; the cache lives in server memory).
import { service } from '../../net/network.js';

export interface NfsRequest {
  client: string;
  xid: number;
}

export type NfsEntry = [path: string, content: string, changeId: number];

/** READDIRPLUS of the scope directory plus READ of each file (one round trip in this model). */
export const NfsReadDir = service<NfsRequest & { prefix: string }, { entries: NfsEntry[] }>('nfs-readdir');
/** LOOKUP + GETATTR + READ of one file. */
export const NfsRead = service<NfsRequest & { path: string }, { content: string; changeId: number } | { enoent: true }>('nfs-read');
/** CREATE with mode EXCLUSIVE: atomic at the server; a retransmission is recognised by its verifier. */
export const NfsCreate = service<NfsRequest & { path: string; content: string; verifier: string }, { changeId: number } | { eexist: true }>('nfs-create');
/** OPEN(O_TRUNC) + WRITE(stable) + COMMIT: replaces the content (atomic in this model). */
export const NfsWrite = service<NfsRequest & { path: string; content: string }, { changeId: number }>('nfs-write');
/** REMOVE. */
export const NfsRemove = service<NfsRequest & { path: string }, { ok: boolean }>('nfs-remove');
