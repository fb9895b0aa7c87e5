/**
 * Why a client call failed: `'ack'` is an error answer of the server, the others are local.
 * `'protocol'` (a malformed packet from the server) and `'handler'` (an app handler threw; the
 * error is its `cause`) reach `onError` listeners only.
 */
export type KwsClientErrorCode =
  'ack' | 'timeout' | 'disconnected' | 'closed' | 'queue-full' | 'protocol' | 'handler';

/**
 * The error of a failed `emit`/`request`/`send`. `status` is the server's status for an error ack
 * (400, 403, 404, 408, 429, 500...), 408 for a local timeout, 0 for the other local failures.
 */
export class KwsClientError extends Error {
  constructor(
    message: string,
    readonly code: KwsClientErrorCode,
    readonly status = 0,
  ) {
    super(message);
    this.name = 'KwsClientError';
  }
}
