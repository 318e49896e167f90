// TCP keepalive on a long-lived client stream (a watch): after `idleUs` without receiving anything
// the client's kernel sends probes every `intervalUs`; `count` unanswered probes (or Linux's
// TCP_USER_TIMEOUT) declare the connection dead. Probes are answered by the peer's *kernel*: a
// paused server process still answers them, a powered-off host or a cut link does not. Patroni
// sets these options on its DCS sockets (`patroni/utils.py keepalive_socket_options`).
import type { Host } from '../../host/host.js';
import type { Process } from '../../host/process.js';
import type { Micros } from '../../kernel/time.js';

export interface KeepaliveOptions {
  idleUs: Micros;
  intervalUs: Micros;
  count: number;
}

/** Patroni's `enable_keepalive(sock, timeout, idle, cnt=3)`: probes every (timeout - idle) / cnt. */
export function patroniKeepalive(timeoutS: number, idleS: number, cnt = 3): KeepaliveOptions {
  const idle = Math.min(idleS, timeoutS);
  return { idleUs: idle * 1e6, intervalUs: Math.max(1, (timeoutS - idle) / cnt) * 1e6, count: cnt };
}

export class StreamKeepalive {
  private lastRxUs: number;
  private unanswered = 0;
  private stopped = false;

  constructor(
    private readonly proc: Process,
    private readonly remote: Host,
    private readonly opts: KeepaliveOptions,
    private readonly onDead: () => void,
  ) {
    this.lastRxUs = proc.monoUs();
    this.arm(opts.idleUs);
  }

  /** Something arrived from the peer. */
  received(): void {
    this.lastRxUs = this.proc.monoUs();
    this.unanswered = 0;
  }

  stop(): void {
    this.stopped = true;
  }

  private arm(localUs: number): void {
    this.proc.after(localUs, () => this.check());
  }

  private check(): void {
    if (this.stopped) return;
    const idle = this.proc.monoUs() - this.lastRxUs;
    if (idle < this.opts.idleUs && this.unanswered === 0) {
      // at least 1 ms: a sub-microsecond timer would round to zero true time and spin
      this.arm(Math.max(1_000, this.opts.idleUs - idle));
      return;
    }
    if (this.unanswered >= this.opts.count) {
      this.stopped = true;
      this.onDead();
      return;
    }
    this.unanswered++;
    const net = this.proc.net;
    const local = this.proc.host;
    const remote = this.remote;
    net.sendDatagram(local, remote, 'tcp.keepalive', 0, () => {
      net.sendDatagram(remote, local, 'tcp.keepalive-ack', 0, () => {
        // the kernel saw the peer answer: the idle timer starts again
        this.lastRxUs = this.proc.monoUs();
        this.unanswered = 0;
      });
    });
    this.arm(this.opts.intervalUs);
  }
}
