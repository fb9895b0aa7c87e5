import { KwsError } from '../errors/kws.error.js';
import { INVALID_OPTION } from '../kws.messages.js';
import type { KwsRateLimitOptions } from './rate-limit-options.interface.js';

/** Checks the `rateLimit` option at bootstrap. */
export function validateRateLimit(rateLimit: KwsRateLimitOptions | undefined): void {
  if (rateLimit === undefined) return;
  if (typeof rateLimit !== 'object' || rateLimit === null) {
    throw new KwsError(INVALID_OPTION('rateLimit', rateLimit, '{ messages, bytes, per, action }'));
  }
  for (const key of ['messages', 'bytes', 'pings'] as const) {
    const value = rateLimit[key];
    if (value !== undefined && !(Number.isInteger(value) && value > 0)) {
      throw new KwsError(INVALID_OPTION(`rateLimit.${key}`, value, 'an integer > 0'));
    }
  }
  if (rateLimit.messages === undefined && rateLimit.bytes === undefined) {
    throw new KwsError(
      INVALID_OPTION('rateLimit', JSON.stringify(rateLimit), 'given `messages`, `bytes` or both'),
    );
  }
  const { per, action } = rateLimit;
  if (per !== undefined && !(Number.isFinite(per) && per > 0)) {
    throw new KwsError(INVALID_OPTION('rateLimit.per', per, 'a number of milliseconds > 0'));
  }
  if (action !== undefined && action !== 'drop' && action !== 'close') {
    throw new KwsError(INVALID_OPTION('rateLimit.action', action, "'drop' or 'close'"));
  }
}
