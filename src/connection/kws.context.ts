import type { KwsBroker } from '../broker/kws-broker.interface.js';
import type { KwsEventDispatcher } from '../events/event.dispatcher.js';
import type { KwsStats } from '../metrics/kws.stats.js';
import type { KwsEventPacket, KwsParser } from '../events/kws-packet.interface.js';
import type { KwsConnectionPool } from '../server/connection.pool.js';
import type { KwsFrameWriter } from '../transport/frame.writer.js';
import type { KwsRateLimiter } from '../transport/rate.limiter.js';
import type { KwsTrustProxy } from '../transport/proxy.trust.js';
import type { KwsSessionRecovery } from '../recovery/session.recovery.js';
import type { KwsTracerHooks } from '../telemetry/tracer.hooks.js';
import type { KwsDeliveryPath } from './delivery.path.js';
import type { Kws } from './kws.js';

/** What every connection of one endpoint shares: one object, referenced, never copied. */
export interface KwsContext {
  readonly dispatcher: KwsEventDispatcher;
  readonly broker: KwsBroker;
  readonly pool: KwsConnectionPool;
  readonly writer: KwsFrameWriter;
  /** Encodes packets (`emit({ event, data })`, acks, requests); JSON unless `parser` says otherwise. */
  readonly parser: KwsParser;
  /** Where an incoming data frame goes: `message` listeners, or the packet router with a parser. */
  readonly receive: (kws: Kws, data: Buffer, isBinary: boolean) => void;
  readonly requestTimeout: number;
  readonly maxPendingRequests: number;
  /** Rooms one connection may be in at once (`maxRoomsPerConnection`). */
  readonly maxRoomsPerConnection: number;
  /** Connection-state recovery, when the `recovery` option is on. */
  readonly recovery: KwsSessionRecovery | undefined;
  /** How sends reach their recipients: direct, kept in sessions, or through the cluster's log. */
  readonly delivery: KwsDeliveryPath;
  /** The endpoint's counters; undefined with `metrics: false`. */
  readonly stats: KwsStats | undefined;
  /** Per-connection rate limits, when the `rateLimit` option is on. */
  readonly rateLimiter: KwsRateLimiter | undefined;
  /** The compiled `trustProxy`: which `X-Forwarded-For` hops `kws.ip` believes. */
  readonly trust: KwsTrustProxy | undefined;
  /** @internal The channels of the endpoint (src/channels), set when they start: channel packets go there. */
  channels?: {
    receive(kws: Kws, packet: KwsEventPacket): Promise<void> | undefined;
    /** A suspended session resumes (here, or moved from another node), before its checks. */
    resuming(kws: Kws): void;
  };
  /** The endpoint's spans while `tracing: true` (set at bootstrap, see KwsTracing). */
  tracer: KwsTracerHooks | undefined;
}
