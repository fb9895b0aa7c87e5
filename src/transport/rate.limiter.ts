import type { WebSocket } from 'ws';
import type { Kws } from '../connection/kws.js';
import { KwsRateLimitError } from '../errors/kws-rate-limit.error.js';
import { JsonKwsParser } from '../events/json.parser.js';
import type { KwsParser } from '../events/kws-packet.interface.js';
import { CloseCode, KwsEvent } from '../kws.constants.js';
import { RATE_LIMIT_ACK, RATE_LIMIT_CLOSE_REASON } from '../kws.messages.js';
import { scanDroppedEventId } from './dropped-frame.id.js';
import type { KwsRateLimitOptions } from './rate-limit-options.interface.js';

export const DEFAULT_RATE_LIMIT_PER = 1_000;
const TOO_MANY = { message: RATE_LIMIT_ACK, status: 429 } as const;

type Limit = KwsRateLimitError['limit'];

/** One connection's buckets. Tokens refill continuously; `bytes` may go into debt by one message. */
class Buckets {
  /** When the last `error` event fired: at most one per window, however long the flood. */
  reportedAt = -Infinity;
  /** Closed by the limiter: frames still in flight are ignored. */
  closed = false;

  constructor(
    public messages: number,
    public bytes: number,
    public pings: number,
    public at: number,
  ) {}
}

/**
 * The `rateLimit` option: a token bucket per connection, checked before a frame is parsed, so a
 * flooding client costs a counter check per frame rather than a parse and a listener run. Pings
 * and pongs have a bucket of their own. Buckets hang off the connection in a WeakMap: nothing to
 * clean up when it ends.
 */
export class KwsRateLimiter {
  private readonly buckets = new WeakMap<Kws, Buckets>();
  private readonly messages: number;
  private readonly bytes: number;
  private readonly pings: number;
  private readonly per: number;
  private readonly closeOnLimit: boolean;
  /** The built-in JSON codec is on: a dropped event whose `id` comes first or last gets a 429. */
  private readonly answerDropped: boolean;

  constructor(
    options: KwsRateLimitOptions,
    /** The endpoint's parser when named events are on. */
    parser: KwsParser | undefined,
  ) {
    // Another codec's frames cannot be read without decoding them: they get no answer.
    this.answerDropped = parser !== undefined && parser.decode === JsonKwsParser.prototype.decode;
    this.messages = options.messages ?? Infinity;
    this.bytes = options.bytes ?? Infinity;
    this.pings = options.pings ?? options.messages ?? Infinity;
    this.per = options.per ?? DEFAULT_RATE_LIMIT_PER;
    this.closeOnLimit = options.action === 'close';
  }

  /** A data frame arrived: true to pass it on; false when it was dropped (or the connection closed). */
  admitMessage(kws: Kws, data: Buffer, isBinary: boolean): boolean {
    const buckets = this.refill(kws);
    if (buckets.closed) return false;
    if (buckets.messages >= 1 && buckets.bytes > 0) {
      buckets.messages--;
      buckets.bytes -= data.length;
      return true;
    }
    this.refuse(kws, buckets, buckets.messages < 1 ? 'messages' : 'bytes', data, isBinary);
    return false;
  }

  /** A ping or pong arrived: true to pass it on (the `ping`/`pong` event); false when dropped. */
  admitControl(kws: Kws): boolean {
    const buckets = this.refill(kws);
    if (buckets.closed) return false;
    if (buckets.pings >= 1) {
      buckets.pings--;
      return true;
    }
    this.refuse(kws, buckets, 'pings');
    return false;
  }

  /**
   * Answers a ping `admitControl` let through: with a rate limit the transport turns `ws`'s
   * automatic pong off, so this is the only pong. Like `ws`'s own, only on an open socket.
   */
  pong(socket: WebSocket, data: Buffer): void {
    if (socket.readyState === socket.OPEN) socket.pong(data, false, ignoreWriteError);
  }

  private refill(kws: Kws): Buckets {
    const now = performance.now();
    let buckets = this.buckets.get(kws);
    if (!buckets) {
      buckets = new Buckets(this.messages, this.bytes, this.pings, now);
      this.buckets.set(kws, buckets);
      return buckets;
    }
    const elapsed = now - buckets.at;
    if (elapsed > 0) {
      const share = elapsed / this.per;
      buckets.at = now;
      buckets.messages = Math.min(this.messages, buckets.messages + share * this.messages);
      buckets.bytes = Math.min(this.bytes, buckets.bytes + share * this.bytes);
      buckets.pings = Math.min(this.pings, buckets.pings + share * this.pings);
    }
    return buckets;
  }

  private refuse(kws: Kws, buckets: Buckets, limit: Limit, data?: Buffer, isBinary = false): void {
    const { stats, dispatcher } = kws.context;
    // Built only when reported: an Error captures a stack, too dear to make per dropped frame.
    const report = (): void =>
      void dispatcher.dispatch(
        kws,
        KwsEvent.Error,
        copy(data),
        isBinary,
        new KwsRateLimitError(limit, this.per),
      );
    if (this.closeOnLimit) {
      buckets.closed = true;
      if (stats) stats.rateLimitCloses++;
      report();
      kws.close(CloseCode.PolicyViolation, RATE_LIMIT_CLOSE_REASON);
      return;
    }
    if (stats) stats.rateLimitDrops++;
    // One report per window: a flood must not turn into as many error events (or log lines).
    if (buckets.at - buckets.reportedAt >= this.per) {
      buckets.reportedAt = buckets.at;
      report();
    }
    // A dropped event that asked for an acknowledgement gets a 429, not silence; found without a
    // parse (a flood must cost a counter check per frame), so only where a bounded scan finds it.
    if (data && !isBinary && this.answerDropped) {
      const id = scanDroppedEventId(data);
      if (id !== undefined) kws.sendPacket({ ack: id, error: TOO_MANY });
    }
  }
}

/** A write that fails is `ws`'s to report (the socket's `error` and `close`), not the pong's. */
function ignoreWriteError(): void {}

/** `ws` may hand out a view into a larger read buffer: the `error` listener gets bytes of its own. */
function copy(data: Buffer | undefined): Buffer | undefined {
  return data && Buffer.from(data);
}
