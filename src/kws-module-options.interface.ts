import type { IncomingMessage } from 'node:http';
import type { PerMessageDeflateOptions } from 'ws';
import type { KwsAsyncApiOptions } from './asyncapi/asyncapi-options.interface.js';
import type { KwsInspectorOptions } from './inspector/inspector-options.interface.js';
import type { KwsClusterOptions } from './cluster/kws-cluster-options.interface.js';
import type { KwsBrokerFactory } from './broker/kws-broker.interface.js';
import type { KwsParser } from './events/kws-packet.interface.js';
import type { KwsChannelsOptions } from './channels/channels-options.interface.js';
import type { KwsRecoveryOptions } from './recovery/recovery-options.interface.js';
import type { KwsMetricsOptions } from './metrics/kws-stats.interface.js';
import type { KwsRateLimitOptions } from './transport/rate-limit-options.interface.js';
import type { KwsOriginPredicate } from './transport/origin.check.js';

/** Attributes handed to a connection before `connect` fires. */
export type KwsAttributes = Record<string, unknown>;

/** What the library knows of an upgrade request beside its headers (the second argument of `allowUpgrade`). */
export interface KwsUpgradeInfo {
  /**
   * Recovery on, the request presents a resume token: the uuid of the session it names, or
   * `undefined` when the token names none (unknown, spent or expired: a fresh session follows).
   * The `connect` guards and the `resume` listeners still decide before anything is replayed.
   */
  readonly resume?: { readonly uuid: string | undefined };
}

/**
 * Decides whether an upgrade request may become a WebSocket (the Go package's upgrade middleware).
 * Return `true` to accept, an object to accept and seed the connection's attributes, `false` to
 * refuse with 403. Throw a Nest `HttpException` (e.g. `UnauthorizedException`) to refuse with its
 * status. `info` says which session the request resumes, if any.
 */
export type KwsAllowUpgrade = (
  request: IncomingMessage,
  info: KwsUpgradeInfo,
) => boolean | KwsAttributes | void | Promise<boolean | KwsAttributes | void>;

/** What to do with a connection whose unsent data exceeds `sendBufferLimit`. */
export type KwsSlowConsumerPolicy = 'close' | 'drop';

/** Options of `KwsModule.forRoot()`. */
export interface KwsModuleOptions {
  /**
   * Names the endpoint when an app has several (`@OnKwsEvent(e, { endpoint })`,
   * `@InjectKwsServer(name)`). Default: the unnamed endpoint.
   */
  name?: string;
  /**
   * Named events: `'json'` (the `{ event, data, id }` protocol of docs/protocol.md) or a codec of
   * your own. Without it every frame is a raw `message` event, as in the Go package.
   */
  parser?: 'json' | KwsParser;
  /** Milliseconds `request()` waits for a client's acknowledgement. Default 5 000. */
  requestTimeout?: number;
  /** Requests one connection may have waiting for an acknowledgement. Default 256. */
  maxPendingRequests?: number;
  /**
   * Client messages (named events and raw `message`s) one connection may have in async listeners
   * at once. Past it a message is dropped: an event with an `id` gets a 429 error ack, and the
   * connection one `error` event (`KwsInFlightLimitError`) until its listeners catch up.
   * `Infinity` turns the bound off. Default 128.
   */
  maxInFlight?: number;
  /**
   * Rooms one connection may be in at once; a `join` past it throws a `KwsError` (`KwsServer.join`
   * rejects) and joins none of its rooms. Default 1 000.
   */
  maxRoomsPerConnection?: number;
  /**
   * Milliseconds `connect` (its guards and listeners, or a resume's checks) may take to decide;
   * past it the connection is refused with 1013 (fail closed). Default 10 000.
   */
  connectTimeout?: number;
  /** URL path of the endpoint, with `:name` params (e.g. `/ws/:id`). Default `/ws`. */
  path?: string;
  /** Serve on a port of its own instead of the app's HTTP server. */
  port?: number;
  /** Host for the standalone `port`. Default: all interfaces. */
  host?: string;
  /** Upgrade gate: see {@link KwsAllowUpgrade}. Default: every upgrade on `path` is accepted. */
  allowUpgrade?: KwsAllowUpgrade;
  /**
   * Which `X-Forwarded-For` hops to believe for `kws.ip`, with Express's `trust proxy` semantics,
   * read right to left: a hop count (`1` behind one nginx), trusted proxy addresses or CIDRs
   * (`'loopback'`, `['10.0.0.0/8']`, `'127.0.0.1, 10.0.0.2'`), a function, or `true` (every hop:
   * the left-most entry, which a client can forge). Off by default.
   */
  trustProxy?: boolean | number | string | string[] | ((address: string, hop: number) => boolean);
  /**
   * Which browser pages may open a WebSocket, by their `Origin` header. Default: same host only
   * (an `Origin` whose host[:port] differs from the request's `Host` gets **403**, requests without
   * `Origin` pass), as Phoenix's `check_origin`. A list is compared exactly by scheme, host and
   * port (and then a request without `Origin` is refused); a function decides itself:
   * `origins: () => true` accepts any origin.
   */
  origins?: string[] | KwsOriginPredicate;
  /** Milliseconds between server pings; 0 turns the heartbeat off. Default 25 000. */
  pingInterval?: number;
  /** Milliseconds to wait for a pong before the peer is terminated. Default 20 000. */
  pongTimeout?: number;
  /** Largest accepted frame/message in bytes; larger ones close the connection with 1009. Default 1 MiB. */
  maxPayload?: number;
  /** Bytes a connection may have queued unsent before `slowConsumer` applies. Default 4 MiB. */
  sendBufferLimit?: number;
  /**
   * Bytes queued for a connection past which `emit` returns false and a `drain` event follows once
   * the queue is flushed (`await kws.drained()`), so an app can pace a large transfer before the
   * slow-consumer policy cuts in. Default: a quarter of `sendBufferLimit` (1 MiB).
   */
  highWaterMark?: number;
  /** 'close' (default) terminates a peer that does not read; 'drop' discards new messages to it. */
  slowConsumer?: KwsSlowConsumerPolicy;
  /**
   * Milliseconds a message may stay incomplete (a large frame, or fragments, still arriving) before
   * the connection is closed with 1008; 0 turns the bound off. Default 30 000.
   */
  partialMessageTimeout?: number;
  /**
   * Bytes all messages in progress on this endpoint may announce together; past it the connections
   * whose messages started first are closed with 1013. Default 64 MiB.
   */
  maxPartialBytes?: number;
  /** permessage-deflate; off by default (it costs CPU and memory per connection). */
  compression?: boolean | PerMessageDeflateOptions;
  /**
   * Milliseconds `allowUpgrade` may take; past it the upgrade is answered **503** (a hung auth
   * backend must not hold sockets). A client that leaves meanwhile is released at once. Default 10 000.
   */
  handshakeTimeout?: number;
  /** Longest accepted route param (characters, after decoding); longer ones get **400**. Default 256. */
  maxParamLength?: number;
  /** Milliseconds `app.close()` waits for clients to answer the 1001 close frame. Default 250. */
  shutdownTimeout?: number;
  /**
   * Where cross-connection operations go. Default: in-process (one node). A factory receives the
   * node's local connection pool and returns a broker (see `KwsRedisBroker` for several nodes).
   */
  broker?: KwsBrokerFactory;
  /**
   * Cluster mode: several app instances share one Redis and every `KwsServer`/`Kws` operation
   * works across them (needs the `ioredis` package). Ignored when `broker` is given.
   */
  cluster?: KwsClusterOptions;
  /**
   * Connection-state recovery (needs `parser`): a connection dropped without a clean close stays
   * a suspended session for `maxDisconnection` ms; a client that comes back in time gets its uuid,
   * attributes and rooms back and every event it missed, once, in order (docs/recovery.md).
   */
  recovery?: KwsRecoveryOptions;
  /** Bounds of channels, their presence and history (docs/channels.md); channels need `parser`. */
  channels?: KwsChannelsOptions;
  /**
   * Counters for `KwsServer.stats()` are on by default (`false` turns counting off);
   * `{ prometheus: true }` also exports them through prom-client.
   */
  metrics?: boolean | KwsMetricsOptions;
  /**
   * Per-connection rate limits (a token bucket checked before a frame is parsed): past them a frame
   * is dropped (`error` event, 429 ack for events with an `id`) or the connection closed with 1008.
   */
  rateLimit?: KwsRateLimitOptions;
  /**
   * OpenTelemetry spans (needs the `@opentelemetry/api` package and an SDK registered by the app):
   * the connect decision, each client event, `request` round trips and the hop between cluster
   * nodes (docs/observability.md). Off by default; off costs one branch per event.
   */
  tracing?: boolean;
  /**
   * Serves the app's AsyncAPI 3.0 document (every endpoint, the events clients may send, their
   * payload schemas, acks) on the app's HTTP server: `true` for `/asyncapi.json` and
   * `/asyncapi.yaml`, or `{ path, title, version, description }` (docs/asyncapi.md).
   */
  asyncapi?: boolean | KwsAsyncApiOptions;
  /**
   * Serves a live inspection page (connections, rooms, rates, ack latencies, close/leave actions)
   * on the app's HTTP server, behind `guard` (required): `{ guard: AdminGuard }` (docs/inspector.md).
   */
  inspector?: false | KwsInspectorOptions;
}
