import { MESSAGE_DROPPED } from '../kws.messages.js';
import { KwsError } from './kws.error.js';

/** Why a message to a live connection was not delivered. */
export type KwsDropReason = 'slow-consumer' | 'node-not-listening';

/**
 * The connection exists (it is not offline) but this message was not delivered: its peer does not
 * read fast enough (the `slowConsumer` policy dropped it, or closed the connection), or the node
 * that holds it has lost its cluster subscription for now. Nothing was written.
 */
export class KwsMessageDroppedError extends KwsError {
  constructor(
    readonly uuid: string,
    readonly reason: KwsDropReason,
  ) {
    super(MESSAGE_DROPPED(uuid, reason));
  }
}
