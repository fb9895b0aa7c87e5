import { KwsDisconnectError } from '../errors/kws-disconnect.error.js';
import { CloseCode } from '../kws.constants.js';
import { PARTIAL_MESSAGE_TIMEOUT, PARTIAL_MESSAGES_OVER_LIMIT } from '../kws.messages.js';
import type { Kws } from '../connection/kws.js';
import type { KwsConnectionPool } from '../server/connection.pool.js';
import type { PartialBytes } from './ws-internals.js';

/**
 * Bounds messages that arrive in pieces: a peer that starts a large message (a frame, or the first
 * fragments) and never finishes it, while answering pings, would otherwise pin that memory for
 * ever. A message must complete within `timeout` ms of being seen in progress, and all messages in
 * progress together may announce at most `limit` bytes (the oldest are cut first). One timer for
 * the whole pool.
 */
export class KwsPartialMessageGuard {
  private timer: NodeJS.Timeout | undefined;
  /** Since when each connection has had a message in progress (ms). */
  private readonly since = new WeakMap<Kws, number>();

  constructor(
    private readonly pool: KwsConnectionPool,
    private readonly partialBytes: PartialBytes,
    private readonly timeout: number,
    private readonly limit: number,
  ) {}

  start(): void {
    if (this.timeout <= 0 || this.timer) return;
    // A check every quarter of the timeout: a message is cut within 1.25x the timeout.
    this.timer = setInterval(() => this.check(), Math.max(10, Math.floor(this.timeout / 4)));
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** @internal One round: exported for the round's own test, run by the timer otherwise. */
  check(now = Date.now()): void {
    const inProgress: { kws: Kws; bytes: number; since: number }[] = [];
    let total = 0;
    for (const kws of this.pool.values()) {
      const bytes = this.partialBytes(kws.conn);
      if (bytes === 0) {
        this.since.delete(kws);
        continue;
      }
      let since = this.since.get(kws);
      if (since === undefined) this.since.set(kws, (since = now));
      if (now - since >= this.timeout) {
        this.cut(kws, CloseCode.PolicyViolation, PARTIAL_MESSAGE_TIMEOUT(this.timeout));
        continue;
      }
      inProgress.push({ kws, bytes, since });
      total += bytes;
    }
    if (total <= this.limit) return;
    inProgress.sort((a, b) => a.since - b.since);
    for (const { kws, bytes } of inProgress) {
      if (total <= this.limit) break;
      this.cut(kws, CloseCode.TryAgainLater, PARTIAL_MESSAGES_OVER_LIMIT(this.limit));
      total -= bytes;
    }
  }

  private cut(kws: Kws, code: number, message: string): void {
    this.since.delete(kws);
    kws.terminate(new KwsDisconnectError(code, message, message, 'protocol'));
  }
}
