import { CLUSTER_UNAVAILABLE } from '../kws.messages.js';
import { KwsError } from './kws.error.js';

/** A cross-node operation could not reach Redis; local connections are not affected. */
export class KwsClusterUnavailableError extends KwsError {
  constructor(what: string, options?: ErrorOptions) {
    super(CLUSTER_UNAVAILABLE(what), options);
  }
}
