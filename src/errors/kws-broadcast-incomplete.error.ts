import { BROADCAST_INCOMPLETE } from '../kws.messages.js';
import { KwsError } from './kws.error.js';

/**
 * A cluster broadcast (or fire, closeAll) was published, but fewer live nodes were listening than
 * the directory knows of: the connections of `expected - reached` nodes missed it. The local part
 * and the listening nodes got it once; nothing is re-sent.
 */
export class KwsBroadcastIncompleteError extends KwsError {
  constructor(
    readonly operation: string,
    /** Live nodes that received it (this one included). */
    readonly reached: number,
    /** Live nodes in the cluster when it was published. */
    readonly expected: number,
  ) {
    super(BROADCAST_INCOMPLETE(operation, reached, expected));
  }
}
