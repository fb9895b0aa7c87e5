import { KwsError } from './kws.error.js';

/** The peer answered a request with an error acknowledgement (`{ ack, error: { message, status } }`). */
export class KwsAckError extends KwsError {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}
