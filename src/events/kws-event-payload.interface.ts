import type { Kws } from '../connection/kws.js';

/** What every listener receives. */
export interface KwsEventPayload {
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
  /** The frame of `message`, the payload of a custom event or of a failed send; a copy you may keep. */
  readonly data: Buffer;
  /** Whether `data` came in (or was sent) as a binary frame. */
  readonly isBinary: boolean;
}

/** A listener function, as registered with `KwsServer.on`. */
export type KwsListener = (payload: KwsEventPayload) => unknown;
