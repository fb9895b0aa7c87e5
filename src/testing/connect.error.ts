/**
 * Why `KwsTestingApp.connect()` failed: the upgrade was refused (an HTTP status, `code` 1006 as a
 * browser sees it) or the server closed the connection before accepting it (a `connect` guard's
 * refusal: `code` 1008 and the exception's message as `reason`).
 */
export class KwsTestingConnectError extends Error {
  constructor(
    message: string,
    /** The close code the client saw (1006 for an HTTP refusal). */
    readonly code: number,
    /** The close reason the server gave ('' when none). */
    readonly reason: string,
  ) {
    super(message);
    this.name = 'KwsTestingConnectError';
  }
}
