import { RATE_LIMITED } from '../kws.messages.js';
import { KwsError } from './kws.error.js';

/** A connection went past its `rateLimit`; `limit` says which bucket ran dry. */
export class KwsRateLimitError extends KwsError {
  constructor(
    readonly limit: 'messages' | 'bytes' | 'pings',
    readonly per: number,
  ) {
    super(RATE_LIMITED(limit, per));
  }
}
