import { REQUEST_TIMED_OUT } from '../kws.messages.js';
import { KwsError } from './kws.error.js';

/** A request got no acknowledgement in time; the peer may still have received it. */
export class KwsTimeoutError extends KwsError {
  constructor(
    readonly event: string,
    readonly timeoutMs: number,
  ) {
    super(REQUEST_TIMED_OUT(event, timeoutMs));
  }
}
