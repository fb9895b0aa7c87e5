import type { KwsBroker } from '../broker/kws-broker.interface.js';
import type { KwsDeliveryPath } from '../connection/delivery.path.js';
import type { KwsContext } from '../connection/kws.context.js';
import type { KwsEventDispatcher } from '../events/event.dispatcher.js';
import { JsonKwsParser } from '../events/json.parser.js';
import type { KwsParser } from '../events/kws-packet.interface.js';
import { KwsPacketRouter } from '../events/packet.router.js';
import type { KwsModuleOptions } from '../kws-module-options.interface.js';
import type { KwsStats } from '../metrics/kws.stats.js';
import {
  DEFAULT_MAX_PENDING_REQUESTS,
  DEFAULT_MAX_ROOMS_PER_CONNECTION,
  DEFAULT_REQUEST_TIMEOUT,
  DEFAULT_SEND_BUFFER_LIMIT,
} from '../kws.constants.js';
import { KwsFrameWriter } from '../transport/frame.writer.js';
import { probeSendFrame, type SendFrame } from '../transport/ws-internals.js';
import { KwsRateLimiter } from '../transport/rate.limiter.js';
import { compileTrust } from '../transport/proxy.trust.js';
import { KwsKeptDelivery } from '../recovery/kept.delivery.js';
import { KwsLogDelivery } from '../recovery/log.delivery.js';
import { KwsSessionRecovery } from '../recovery/session.recovery.js';
import { KwsDirectDelivery } from './direct.delivery.js';
import type { KwsConnectionPool } from './connection.pool.js';

/** Builds what every connection of one endpoint shares, from the endpoint's options. */
export function createKwsContext(
  options: KwsModuleOptions,
  broker: KwsBroker,
  pool: KwsConnectionPool,
  dispatcher: KwsEventDispatcher,
  stats: KwsStats,
  /** Checks `ws`'s frame writer once at boot; undefined sends everything through `ws.send`. */
  probe: () => SendFrame | undefined = probeSendFrame,
): KwsContext {
  const sendBufferLimit = options.sendBufferLimit ?? DEFAULT_SEND_BUFFER_LIMIT;
  const parser = resolveParser(options.parser);
  const router = options.parser ? new KwsPacketRouter(parser, dispatcher) : undefined;
  const recovery = options.recovery ? new KwsSessionRecovery(options.recovery) : undefined;
  return {
    dispatcher,
    broker,
    pool,
    parser,
    writer: new KwsFrameWriter({
      compression: !!options.compression,
      sendBufferLimit,
      highWaterMark: options.highWaterMark ?? Math.floor(sendBufferLimit / 4),
      slowConsumer: options.slowConsumer ?? 'close',
      sendFrame: probe(),
    }),
    // Without a parser every frame is a `message`, exactly as in the Go package.
    receive: router
      ? (kws, data, isBinary) => router.receive(kws, data, isBinary)
      : (kws, data, isBinary) => dispatcher.receiveMessage(kws, data, isBinary),
    requestTimeout: options.requestTimeout ?? DEFAULT_REQUEST_TIMEOUT,
    maxPendingRequests: options.maxPendingRequests ?? DEFAULT_MAX_PENDING_REQUESTS,
    maxRoomsPerConnection: options.maxRoomsPerConnection ?? DEFAULT_MAX_ROOMS_PER_CONNECTION,
    recovery,
    delivery: createDelivery(broker, parser, recovery),
    stats: options.metrics === false ? undefined : stats,
    rateLimiter: options.rateLimit
      ? new KwsRateLimiter(options.rateLimit, options.parser ? parser : undefined)
      : undefined,
    trust: compileTrust(options.trustProxy),
    tracer: undefined,
  };
}

/**
 * The endpoint's one way of delivering, chosen here once: no recovery, plain sends; recovery with
 * a broker that keeps a log (cluster mode: sessions and messages in Redis, so a client may resume
 * on any node), the log numbers and delivers named events; recovery otherwise, this node numbers
 * them and the sessions keep them.
 */
function createDelivery(
  broker: KwsBroker,
  parser: KwsParser,
  recovery: KwsSessionRecovery | undefined,
): KwsDeliveryPath {
  const direct = new KwsDirectDelivery(broker, parser);
  if (!recovery) return direct;
  const log = broker.enableRecovery?.(recovery, parser);
  return log ? new KwsLogDelivery(log, parser, direct) : new KwsKeptDelivery(broker, parser);
}

function resolveParser(parser: KwsModuleOptions['parser']): KwsParser {
  if (parser === undefined || parser === 'json') return new JsonKwsParser();
  return parser;
}
