import { KwsError } from './kws.error.js';

/** Why a connection ended abnormally; the `error` of a `disconnect` payload. */
export class KwsDisconnectError extends KwsError {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    /** 'peer' closed it, 'timeout' (no pong), 'slow-consumer', 'protocol' (bad frame) or 'network'. */
    readonly kind: 'peer' | 'timeout' | 'slow-consumer' | 'protocol' | 'network',
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
