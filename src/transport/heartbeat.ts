import { KwsDisconnectError } from '../errors/kws-disconnect.error.js';
import { CloseCode } from '../kws.constants.js';
import { PONG_TIMEOUT } from '../kws.messages.js';
import type { KwsConnectionPool } from '../server/connection.pool.js';

/**
 * Pings every connection each `interval` ms and terminates those that have not answered within
 * `timeout` ms. One timer for the whole pool, not one per connection: idle sockets stay cheap.
 */
export class KwsHeartbeat {
  private timer: NodeJS.Timeout | undefined;
  private lastRound = 0;

  constructor(
    private readonly pool: KwsConnectionPool,
    private readonly interval: number,
    private readonly timeout: number,
  ) {}

  start(): void {
    if (this.interval <= 0 || this.timer) return;
    this.lastRound = Date.now();
    // Sweep often enough to notice a missed pong about `timeout` after the ping, not later.
    const sweepEvery = Math.max(10, Math.min(this.interval, this.timeout) / 2);
    this.timer = setInterval(() => this.sweep(), sweepEvery);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private sweep(): void {
    const now = Date.now();
    const pingRound = now - this.lastRound >= this.interval;
    if (pingRound) this.lastRound = now;
    for (const kws of this.pool.values()) {
      if (kws.pingSentAt !== 0) {
        if (now - kws.pingSentAt >= this.timeout) {
          kws.terminate(
            new KwsDisconnectError(CloseCode.Abnormal, '', PONG_TIMEOUT(this.timeout), 'timeout'),
          );
        }
      } else if (pingRound && kws.isAlive()) {
        kws.pingSentAt = now;
        kws.conn.ping();
      }
    }
  }
}
