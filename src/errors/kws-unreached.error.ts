import { UNREACHED } from '../kws.messages.js';
import { KwsError } from './kws.error.js';

/**
 * Some recipients of one `broadcast`, `broadcastTo` or `emitToList` could not be written to
 * (unknown, closed, or dropped by the slow-consumer policy). Reported as **one** `error` event
 * per call on the sending connection, whatever the number of failures, so a large room with many
 * slow readers cannot flood the sender with events.
 */
export class KwsUnreachedError extends KwsError {
  constructor(
    /** `broadcast` (also for `broadcastTo`) or `emitToList`. */
    readonly operation: 'broadcast' | 'emitToList',
    /** The uuids that were not reached, in the order the call met them. */
    readonly uuids: readonly string[],
  ) {
    super(UNREACHED(operation, uuids));
  }
}
