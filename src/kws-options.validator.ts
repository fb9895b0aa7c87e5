import { validateAsyncApiOptions } from './asyncapi/asyncapi-options.validator.js';
import { KwsError } from './errors/kws.error.js';
import type { KwsModuleOptions } from './kws-module-options.interface.js';
import { EXTRA_IN_FACTORY, INVALID_OPTION, RECOVERY_NEEDS_PARSER } from './kws.messages.js';
import { assertKnownKeys } from './kws-options.keys.js';
import { validateMetricsOptions } from './metrics/metrics-options.validator.js';
import { validateRateLimit } from './transport/rate-limit.validator.js';
import { compileOrigins } from './transport/origin.check.js';
import { compileTrust } from './transport/proxy.trust.js';

/** Fails at bootstrap with a clear message instead of misbehaving at the first connection. */
export function validateKwsOptions(options: KwsModuleOptions): void {
  validateKeys(options);
  const { path, port } = options;
  if (path !== undefined && (typeof path !== 'string' || !path.startsWith('/'))) {
    throw new KwsError(INVALID_OPTION('path', path, "a string starting with '/'"));
  }
  if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port < 65536)) {
    throw new KwsError(INVALID_OPTION('port', port, 'an integer from 0 to 65535'));
  }
  for (const key of [
    'pingInterval',
    'pongTimeout',
    'shutdownTimeout',
    'handshakeTimeout',
    'partialMessageTimeout',
  ] as const) {
    const value = options[key];
    if (value !== undefined && !(Number.isFinite(value) && value >= 0)) {
      throw new KwsError(INVALID_OPTION(key, value, 'a number of milliseconds >= 0'));
    }
  }
  for (const key of [
    'maxPayload',
    'sendBufferLimit',
    'highWaterMark',
    'maxPartialBytes',
  ] as const) {
    const value = options[key];
    if (value !== undefined && !(Number.isInteger(value) && value > 0)) {
      throw new KwsError(INVALID_OPTION(key, value, 'a number of bytes > 0'));
    }
  }
  const { maxParamLength } = options;
  if (maxParamLength !== undefined && !(Number.isInteger(maxParamLength) && maxParamLength > 0)) {
    throw new KwsError(INVALID_OPTION('maxParamLength', maxParamLength, 'an integer > 0'));
  }
  const { maxInFlight } = options;
  if (
    maxInFlight !== undefined &&
    !((Number.isInteger(maxInFlight) && maxInFlight > 0) || maxInFlight === Infinity)
  ) {
    throw new KwsError(INVALID_OPTION('maxInFlight', maxInFlight, 'an integer > 0, or Infinity'));
  }
  const { maxRoomsPerConnection: maxRooms } = options;
  if (maxRooms !== undefined && !(Number.isInteger(maxRooms) && maxRooms > 0)) {
    throw new KwsError(INVALID_OPTION('maxRoomsPerConnection', maxRooms, 'an integer > 0'));
  }
  if (options.slowConsumer !== undefined && !['close', 'drop'].includes(options.slowConsumer)) {
    throw new KwsError(INVALID_OPTION('slowConsumer', options.slowConsumer, "'close' or 'drop'"));
  }
  compileOrigins(options.origins);
  compileTrust(options.trustProxy);
  if (options.recovery !== undefined) validateRecovery(options);
  if (options.pingInterval && options.pongTimeout === 0) {
    throw new KwsError(INVALID_OPTION('pongTimeout', 0, 'above 0 while pingInterval is on'));
  }
  validateMetricsOptions(options.metrics);
  validateRateLimit(options.rateLimit);
  validateAsyncApiOptions(options.asyncapi);
}

/** Unknown keys (typos) and keys only `forRootAsync` itself reads, at every level. */
function validateKeys(options: KwsModuleOptions): void {
  if (typeof options !== 'object' || options === null) {
    throw new KwsError(INVALID_OPTION('options', options, 'an object'));
  }
  // forRoot strips its extras (`name`, `isGlobal`); a forRootAsync factory's result keeps them.
  for (const extra of ['name', 'isGlobal']) {
    if ((options as Record<string, unknown>)[extra] !== undefined)
      throw new KwsError(EXTRA_IN_FACTORY(extra));
  }
  assertKnownKeys(options, '');
  for (const nested of ['recovery', 'rateLimit', 'cluster', 'metrics', 'asyncapi'] as const) {
    const value = options[nested];
    if (isPlainObject(value)) assertKnownKeys(value, nested);
  }
  const prometheus = isPlainObject(options.metrics) ? options.metrics.prometheus : undefined;
  if (isPlainObject(prometheus)) assertKnownKeys(prometheus, 'metrics.prometheus');
  const { parser } = options;
  if (
    parser !== undefined &&
    parser !== 'json' &&
    !(
      isObject(parser) &&
      typeof parser.decode === 'function' &&
      typeof parser.encode === 'function'
    )
  ) {
    throw new KwsError(
      INVALID_OPTION('parser', parser, "'json' or a parser object with decode() and encode()"),
    );
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** An options object (not a class instance such as an ioredis client or a registry). */
function isPlainObject(value: unknown): value is Record<string, any> {
  if (!isObject(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function validateRecovery({ recovery, parser }: KwsModuleOptions): void {
  if (!parser) throw new KwsError(RECOVERY_NEEDS_PARSER);
  if (typeof recovery !== 'object' || recovery === null) {
    throw new KwsError(INVALID_OPTION('recovery', recovery, 'an object'));
  }
  const { maxDisconnection, maxMessages } = recovery;
  if (
    maxDisconnection !== undefined &&
    !(Number.isFinite(maxDisconnection) && maxDisconnection > 0)
  ) {
    throw new KwsError(
      INVALID_OPTION('recovery.maxDisconnection', maxDisconnection, 'a number of milliseconds > 0'),
    );
  }
  if (maxMessages !== undefined && !(Number.isInteger(maxMessages) && maxMessages > 0)) {
    throw new KwsError(INVALID_OPTION('recovery.maxMessages', maxMessages, 'an integer > 0'));
  }
  for (const key of ['maxSuspendedPerAddress', 'maxSuspended'] as const) {
    const value = recovery[key];
    if (value !== undefined && !((Number.isInteger(value) && value > 0) || value === Infinity)) {
      throw new KwsError(INVALID_OPTION(`recovery.${key}`, value, 'an integer > 0, or Infinity'));
    }
  }
}
