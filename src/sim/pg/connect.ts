// Opening a TCP connection the way the Linux kernel does when the application sets no
// connect timeout: SYN retransmitted after 1, 2, 4... seconds (tcp_syn_retries = 6, about 127 s in
// all). A refused connection (RST) fails at once. libpq without connect_timeout, and the
// walreceiver's primary_conninfo as Patroni writes it, behave like this.
import type { Task } from '../kernel/task.js';
import type { Process } from '../host/process.js';
import { NetError, type StreamEnd, type StreamService } from '../net/network.js';

/** Linux default: 6 SYN retransmissions, 1 s initial RTO: 1+2+4+8+16+32+64 = 127 s. */
export const LINUX_SYN_TIMEOUT_US = 127_000_000;

/** Connect with SYN retransmissions, giving up after `totalUs` (local time). */
export function* connectWithSynRetries<C, S>(from: Process, to: Process, svc: StreamService<C, S>, totalUs: number = LINUX_SYN_TIMEOUT_US): Task<StreamEnd<C, S>> {
  let rto = 1_000_000;
  let spent = 0;
  for (;;) {
    const wait = Math.max(1, Math.min(rto, totalUs - spent));
    try {
      return yield* from.net.connect(from, to, svc, wait);
    } catch (e) {
      if (e instanceof NetError && e.code === 'timeout' && spent + wait < totalUs) {
        spent += wait;
        rto *= 2;
        continue;
      }
      throw e;
    }
  }
}
