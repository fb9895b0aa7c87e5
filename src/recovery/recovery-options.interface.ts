/** Options of connection-state recovery: `KwsModule.forRoot({ parser: 'json', recovery: {} })`. */
export interface KwsRecoveryOptions {
  /**
   * Milliseconds a dropped connection stays a suspended session, waiting for its client to
   * resume it. Default 120 000 (2 minutes).
   */
  maxDisconnection?: number;
  /**
   * Messages kept for one session: those sent while it is suspended, and those sent while it is
   * connected that the client has not yet proven it received (a pong confirms them). More while
   * suspended ends the session (`disconnect` with kind 'overflow'). Default 1 000.
   */
  maxMessages?: number;
}

export const DEFAULT_MAX_DISCONNECTION = 120_000;
export const DEFAULT_MAX_MESSAGES = 1_000;
