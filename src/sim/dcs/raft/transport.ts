// Raft messages between member processes: datagrams from host to host (see core.ts for why), handed
// to the receiving member's current life (paused: later; dead: dropped).
import type { Process } from '../../host/process.js';
import type { RaftMessage, RaftNode, RaftTransport } from './core.js';

export interface RaftPeer<C> {
  id: string;
  proc: Process;
  /** The peer's node in its current life, if it runs one. */
  node(): RaftNode<C> | null;
}

const LABELS: Record<string, string> = {};

function label(prefix: string, t: string): string {
  const k = `${prefix}.${t}`;
  let l = LABELS[k];
  if (l === undefined) {
    l = k;
    LABELS[k] = l;
  }
  return l;
}

export function datagramTransport<C>(self: Process, peers: readonly RaftPeer<C>[], prefix: string): RaftTransport<C> {
  const byId = new Map<string, RaftPeer<C>>();
  for (const p of peers) byId.set(p.id, p);
  const net = self.net;
  return {
    peerIds: peers.map((p) => p.id),
    send(to: string, msg: RaftMessage<C>, bytes: number): void {
      const peer = byId.get(to);
      if (!peer) return;
      const what = net.sim.trace.messages ? label(prefix, msg.t) : prefix;
      net.sendDatagram(self.host, peer.proc.host, what, bytes, () => {
        const p = peer.proc;
        if (!p.alive) return;
        // what `p.post(fn, p.incarnation)` does, without a closure when the process runs now
        if (p.running) peer.node()?.receive(msg);
        else p.post(() => peer.node()?.receive(msg), p.incarnation);
      });
    },
  };
}
