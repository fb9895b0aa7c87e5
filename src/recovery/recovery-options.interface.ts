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
  /**
   * Suspended sessions this node keeps for one client address (`kws.ip`, after `trustProxy`);
   * past it a dropped connection from that address ends at once instead. `Infinity`: no bound.
   * Default 100.
   */
  maxSuspendedPerAddress?: number;
  /**
   * Suspended sessions this node keeps in all; past it a dropped connection ends at once instead.
   * `Infinity`: no bound. Default 10 000.
   */
  maxSuspended?: number;
  /**
   * Cluster mode: on shutdown (`app.close()`, SIGTERM with shutdown hooks) hand the sessions over
   * instead of ending them: readiness goes down, new sockets are refused, requests in progress
   * answer (up to `shutdownTimeout`), each session is saved suspended in Redis, then its socket
   * closes with 1012 (Service Restart) and its client resumes on another node: same uuid, rooms
   * and attributes, nothing lost, no `disconnect`. Ignored without a cluster (a lone node has no
   * one to hand over to). Default true. See docs/deploying.md.
   */
  handover?: boolean;
}

export const DEFAULT_MAX_DISCONNECTION = 120_000;
export const DEFAULT_MAX_MESSAGES = 1_000;
/** Far more than one address drops uncleanly within `maxDisconnection`, even behind a NAT. */
export const DEFAULT_MAX_SUSPENDED_PER_ADDRESS = 100;
/** About 50 MB of sessions at ~5 KB each (without kept messages). */
export const DEFAULT_MAX_SUSPENDED = 10_000;
