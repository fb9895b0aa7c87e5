import { OUTCOME_UNKNOWN } from '../kws.messages.js';
import { KwsError } from './kws.error.js';

/** Why the outcome of a cross-node call is not known. */
export type KwsOutcomeUnknownReason = 'timeout' | 'connection-lost';

/**
 * A cross-node call was sent but its answer never came: no reply within `requestTimeout`, or the
 * Redis connection dropped while the command was in flight. The message may have been delivered
 * (once) or not; it is never re-sent. Do not treat the target as offline on this error.
 */
export class KwsOutcomeUnknownError extends KwsError {
  constructor(
    readonly operation: string,
    readonly reason: KwsOutcomeUnknownReason,
    options?: ErrorOptions,
  ) {
    super(OUTCOME_UNKNOWN(operation, reason), options);
  }
}
