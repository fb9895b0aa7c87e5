/** The part of a WebSocket the client uses: browsers' `WebSocket` and `ws`'s class both fit. */
export interface KwsSocketLike {
  readonly readyState: number;
  binaryType: string;
  onopen: ((event: any) => void) | null;
  // `any` events: DOM's MessageEvent/CloseEvent and ws's own types must both fit.
  onmessage: ((event: any) => void) | null;
  onclose: ((event: any) => void) | null;
  onerror: ((event: any) => void) | null;
  send(data: any): void; // any: DOM's and ws's parameter types differ
  close(code?: number, reason?: string): void;
}

/** A frame as sent: text, or binary bytes. */
export type KwsFrame = string | ArrayBufferLike | ArrayBufferView;

/** A WebSocket class: the global `WebSocket`, or `ws`'s `WebSocket` on Node 20. */
export type KwsSocketConstructor = new (
  url: string,
  protocols?: string | string[],
) => KwsSocketLike;

/**
 * - `connecting`: the first connection attempt.
 * - `open`: connected; frames go out at once.
 * - `reconnecting`: the connection was lost (or the first attempt failed) and a new attempt is
 *   scheduled or under way; `emit`/`request`/`send` wait in the offline queue.
 * - `closed`: for good (`close()`, a 1008 or 4xxx close code, or `maxAttempts` used up).
 */
export type KwsClientState = 'connecting' | 'open' | 'reconnecting' | 'closed';

/** What a state change carries. */
export interface KwsStateChange {
  state: KwsClientState;
  /** Close code and reason of the connection that ended (`reconnecting`, `closed`). */
  code?: number;
  reason?: string;
  /** `reconnecting`: the attempt number (1, 2...) and the delay before it, in ms. */
  attempt?: number;
  delay?: number;
  /** `closed`: the `emit` packets and raw frames still queued, never sent (queued requests reject). */
  unsent?: KwsFrame[];
}

/** The server's `session` packet (recovery on): who this connection is and whether it resumed. */
export interface KwsSession {
  uuid: string;
  /** True when the server restored the previous session (missed packets follow). */
  recovered: boolean;
}

/** Options of `new KwsClient(url, options)`. Delays are in ms. */
export interface KwsClientOptions {
  /** The WebSocket class; default the global `WebSocket` (browsers, Node >= 22). */
  WebSocket?: KwsSocketConstructor;
  /** Subprotocols offered on every connection. */
  protocols?: string | string[];
  /** Backoff ceiling of the first reconnect attempt (doubles each attempt). Default 250. */
  minDelay?: number;
  /** Largest backoff ceiling. Default 10_000. */
  maxDelay?: number;
  /** Failed reconnect attempts in a row before giving up (`closed`). Default Infinity; 0: never reconnect. */
  maxAttempts?: number;
  /**
   * Milliseconds a connection must stay open before the backoff starts over (a resumed session
   * resets it at once). A server that accepts and then sheds (1013) keeps the backoff growing.
   * Default 5_000.
   */
  stableAfter?: number;
  /**
   * Milliseconds of silence after which the connection counts as dead, whatever the socket says
   * (a laptop lid, a NAT that forgot the flow: no close event comes for minutes). After half of
   * it without a frame the client sends a heartbeat (`kws:heartbeat`, docs/protocol.md) that the
   * server answers; still nothing at the end, it drops the socket (close 4000), reconnects and
   * resumes. Default 30_000; 0 turns it off.
   */
  livenessTimeout?: number;
  /** Default `request` timeout. Default 10_000. */
  timeout?: number;
  /**
   * Milliseconds each try of a `request` waits for its acknowledgement (socket.io-client's
   * `ackTimeout`); default `timeout`.
   */
  ackTimeout?: number;
  /**
   * Tries after the first for a `request` (socket.io-client's `retries`), when its try times out
   * or the link drops before the answer. Each request carries a `rid` the server remembers per
   * session, so a retry gets the first run's answer instead of running the listener again (with
   * recovery on, see docs/protocol.md). Default 0 (no `rid` sent).
   */
  retries?: number;
  /** Frames kept while not connected, sent in order on (re)connect; over it, the call fails. Default 100; 0: no queue. */
  queueSize?: number;
  /**
   * Trace context sent with `emit`/`request` (the packet's `trace` key): by default the active
   * OpenTelemetry context when the app registered an SDK (read from OTel's global, no import);
   * a function returning `{ traceparent, tracestate? }` to give it explicitly; `false` never.
   */
  trace?: false | (() => Record<string, string> | undefined);
}

/** Per-call options of `request`. */
export interface KwsRequestOptions {
  /** Milliseconds each try waits for the acknowledgement; default `ackTimeout`, then `timeout`. */
  timeout?: number;
  /** Tries after the first; default the client's `retries`. */
  retries?: number;
}
