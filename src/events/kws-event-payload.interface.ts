import type { Kws } from '../connection/kws.js';

/** What every listener receives (the `@KwsPayload()` of a listener with param decorators). */
export interface KwsEventPayload<T = Buffer> {
  /** The connection the event belongs to. */
  readonly kws: Kws;
  /** The event name. */
  readonly name: string;
  /** The connection's uuid when the event fired. */
  readonly socketUUID: string;
  /** A snapshot of the connection's attributes when the event fired. */
  readonly socketAttributes: Readonly<Record<string, unknown>>;
  /** Set on `error` and on an abnormal `disconnect`; null otherwise. */
  readonly error: Error | null;
  /**
   * The frame of `message` (a Buffer you may keep), the decoded `data` of a client's named event,
   * or what `fire` was given.
   */
  readonly data: T;
  /** Whether the frame came in (or was sent) as a binary frame. */
  readonly isBinary: boolean;
  /** The client's request id when it asked for an acknowledgement. */
  readonly ackId?: number;
}

/** A listener function, as registered with `KwsServer.on`. */
export type KwsListener = (payload: KwsEventPayload<any>) => unknown;
