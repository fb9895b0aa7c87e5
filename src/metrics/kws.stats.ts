import { Injectable } from '@nestjs/common';
import type { Server } from 'node:http';

/** The endpoint's transport as the stats see it. */
interface WatchedTransport {
  readonly httpServer: Server;
}

/** Times listener runs and acknowledgements; set while Prometheus export is on. */
export interface KwsTimers {
  /**
   * A listener of `event` ran for `seconds` (until its promise settled, for an async one). Absent:
   * listener runs are not timed (the inspector alone only needs acks).
   */
  listener?(event: string, seconds: number): void;
  /** An event packet with an `id` was acknowledged `seconds` after it arrived. */
  ack(event: string, seconds: number): void;
}

/**
 * The endpoint's counters: plain integers bumped where a frame passes (one call at each choke
 * point, no allocation), read only when someone asks (`KwsServer.stats()`, a Prometheus scrape).
 * Gauges (open connections, pending requests, the cluster's state) are read from their owners at
 * snapshot time instead of being tracked here.
 */
@Injectable()
export class KwsStats {
  upgradesAccepted = 0;
  /** Refused upgrades by HTTP status (401, 403, 426, 500...). */
  readonly upgradesRefused: Record<number, number> = {};
  messagesIn = 0;
  bytesIn = 0;
  messagesOut = 0;
  bytesOut = 0;
  slowConsumerDrops = 0;
  slowConsumerKills = 0;
  heartbeatTimeouts = 0;
  listenerErrors = 0;
  /** Messages discarded by the `rateLimit` option (`'drop'`). */
  rateLimitDrops = 0;
  /** Connections closed with 1008 by the `rateLimit` option (`'close'`). */
  rateLimitCloses = 0;
  /** Client messages dropped by `maxInFlight`. */
  inFlightDrops = 0;
  /** Set while Prometheus export is on (see `KwsPrometheus`). */
  timers: KwsTimers | undefined;
  private transport: WatchedTransport | undefined;
  private counting = true;

  /** The endpoint opened: it is listening while its HTTP server is. */
  attach(transport: WatchedTransport, counting: boolean): void {
    this.transport = transport;
    this.counting = counting;
  }

  /** The endpoint is closing: no longer listening. */
  detach(): void {
    this.transport = undefined;
  }

  /** Whether the endpoint accepts upgrades now. */
  get listening(): boolean {
    return this.transport?.httpServer.listening ?? false;
  }

  /** A data frame arrived (`bytes` of payload). */
  received(bytes: number): void {
    this.messagesIn++;
    this.bytesIn += bytes;
  }

  /** A message was written to one connection (`bytes` of payload). */
  sent(bytes: number): void {
    this.messagesOut++;
    this.bytesOut += bytes;
  }

  /** A peer's queue passed `sendBufferLimit`: its message dropped, or the peer terminated. */
  slowConsumer(policy: 'close' | 'drop'): void {
    if (policy === 'close') this.slowConsumerKills++;
    else this.slowConsumerDrops++;
  }

  heartbeatTimedOut(): void {
    this.heartbeatTimeouts++;
  }

  listenerFailed(): void {
    this.listenerErrors++;
  }

  accepted(): void {
    this.upgradesAccepted++;
  }

  /** An upgrade was refused with `status` (bound: the transport is handed this function). */
  readonly refused = (status: number): void => {
    if (this.counting) this.upgradesRefused[status] = (this.upgradesRefused[status] ?? 0) + 1;
  };
}
