import { INVALID_CONNECTION } from '../kws.messages.js';
import { KwsError } from './kws.error.js';

/** The uuid names no live connection (unknown, closed, or on a node that died). */
export class KwsInvalidConnectionError extends KwsError {
  constructor(readonly uuid: string) {
    super(INVALID_CONNECTION(uuid));
  }
}
