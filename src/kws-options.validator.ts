import { KwsError } from './errors/kws.error.js';
import type { KwsModuleOptions } from './kws-module-options.interface.js';
import { INVALID_OPTION, RECOVERY_NEEDS_PARSER } from './kws.messages.js';
import { validateMetricsOptions } from './metrics/metrics-options.validator.js';
import { validateRateLimit } from './transport/rate-limit.validator.js';
import { compileOrigins } from './transport/origin.check.js';
import { compileTrust } from './transport/proxy.trust.js';

/** Fails at bootstrap with a clear message instead of misbehaving at the first connection. */
export function validateKwsOptions(options: KwsModuleOptions): void {
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
}

function validateRecovery({ recovery, parser }: KwsModuleOptions): void {
  if (!parser) throw new KwsError(RECOVERY_NEEDS_PARSER);
  if (typeof recovery !== 'object' || recovery === null) {
    throw new KwsError(INVALID_OPTION('recovery', recovery, 'an object'));
  }
  const { maxDisconnection, maxMessages, handover } = recovery;
  if (handover !== undefined && typeof handover !== 'boolean') {
    throw new KwsError(INVALID_OPTION('recovery.handover', handover, 'true or false'));
  }
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
}
