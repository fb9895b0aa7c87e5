import { KwsDisconnectError } from '../errors/kws-disconnect.error.js';
import { CloseCode } from '../kws.constants.js';
import { PONG_TIMEOUT } from '../kws.messages.js';
import type { KwsConnectionPool } from '../server/connection.pool.js';

/**
 * Pings every connection each `interval` ms and terminates those that have not answered `timeout`
 * ms after their ping: a silent peer is cut at most `interval + timeout` after its last frame (the
 * documented bound). One interval timer and one check per round for the whole pool, not timers
 * per connection: idle sockets stay cheap.
 */
export class KwsHeartbeat {
  private timer: NodeJS.Timeout | undefined;
  private readonly checks = new Set<NodeJS.Timeout>();

  constructor(
    private readonly pool: KwsConnectionPool,
    private readonly interval: number,
    private readonly timeout: number,
  ) {}

  start(): void {
    if (this.interval <= 0 || this.timer) return;
    this.timer = setInterval(() => this.pingRound(), this.interval);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    for (const check of this.checks) clearTimeout(check);
    this.checks.clear();
  }

  private pingRound(): void {
    const round = Date.now();
    let pinged = false;
    for (const kws of this.pool.values()) {
      // One still waiting for an earlier ping is left to that round's check.
      if (kws.pingSentAt !== 0 || !kws.isAlive()) continue;
      kws.pingSentAt = round;
      // Recovery on: the pong echoes where the kept messages stood, confirming those before.
      kws.conn.ping(kws.session?.pingPayload());
      pinged = true;
    }
    if (!pinged) return;
    const check = setTimeout(() => {
      this.checks.delete(check);
      this.expire(round);
    }, this.timeout);
    check.unref();
    this.checks.add(check);
  }

  /** Terminates the connections still silent since the round at `round` (any frame clears it). */
  private expire(round: number): void {
    for (const kws of Array.from(this.pool.values())) {
      if (kws.pingSentAt !== 0 && kws.pingSentAt <= round) {
        if (kws.isAlive()) kws.context.stats?.heartbeatTimedOut(); // once per peer
        kws.terminate(
          new KwsDisconnectError(CloseCode.Abnormal, '', PONG_TIMEOUT(this.timeout), 'timeout'),
        );
      }
    }
  }
}
