import { IN_FLIGHT_LIMITED } from '../kws.messages.js';
import { KwsError } from './kws.error.js';

/**
 * A connection sent a message while `maxInFlight` of its messages were still in async listeners:
 * the message was dropped (reported once per episode as an `error` event; an event with an `id`
 * got a 429 error ack). `code` is `'KWS_IN_FLIGHT_LIMIT'`.
 */
export class KwsInFlightLimitError extends KwsError {
  /** Stable identifier of this error (`'KWS_IN_FLIGHT_LIMIT'`). */
  readonly code = 'KWS_IN_FLIGHT_LIMIT';

  constructor(
    /** The `maxInFlight` in force. */
    readonly limit: number,
  ) {
    super(IN_FLIGHT_LIMITED(limit));
  }
}
