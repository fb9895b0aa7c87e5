import { KwsError } from './kws.error.js';

/** Why a connection ended abnormally; the `error` of a `disconnect` payload. */
export class KwsDisconnectError extends KwsError {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    /**
     * 'peer' closed it, 'timeout' (no pong), 'slow-consumer', 'protocol' (bad frame) or 'network';
     * with recovery on, a suspended session ends with 'expired' (not resumed in time) or
     * 'overflow' (too many messages kept for it, or the client missed some that were discarded),
     * or 'refused' (a resume's checks refused it: a `connect` guard or a `resume` listener).
     */
    readonly kind:
      | 'peer'
      | 'timeout'
      | 'slow-consumer'
      | 'protocol'
      | 'network'
      | 'expired'
      | 'overflow'
      | 'refused',
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
