/** Metadata key under which `@OnKwsEvent` stores the event names of a method. */
export const KWS_LISTENER_METADATA = 'kws:listener';
/** Metadata key of `@OnKwsEndpoint` on a class. */
export const KWS_ENDPOINT_METADATA = 'kws:endpoint';

/** The events the library fires itself; any other string is a custom event. */
export const KwsEvent = {
  Message: 'message',
  Ping: 'ping',
  Pong: 'pong',
  Disconnect: 'disconnect',
  Connect: 'connect',
  Close: 'close',
  Error: 'error',
  Resume: 'resume',
  /** The connection's send queue, once past `highWaterMark`, has been flushed (see `kws.drained()`). */
  Drain: 'drain',
} as const;

/**
 * Internal registry name of the `connect` listeners' guards alone, which a resume runs again
 * (registered `fromClient: false`: no packet reaches it).
 */
export const CONNECT_GUARDS = '\u0000connect:guards';

/** Built-in names a client may never fire with a named-event packet. */
export const RESERVED_EVENTS: ReadonlySet<string> = new Set(Object.values(KwsEvent));
/** Longest event name a client may send, and the server too (emit, request, fire). */
export const MAX_EVENT_NAME_LENGTH = 128;
/** Longest room name (characters): far under the cluster codec's 65,535-byte string fields. */
export const MAX_ROOM_NAME_LENGTH = 128;
/** Longest error message read from a peer's error acknowledgement; longer ones are cut. */
export const MAX_ACK_ERROR_MESSAGE_LENGTH = 1_024;
/** The unnamed endpoint's name in the listener registry. */
export const DEFAULT_ENDPOINT = '';

/** One of the built-in event names. */
export type KwsBuiltInEvent = (typeof KwsEvent)[keyof typeof KwsEvent];

/** WebSocket frame kind, numbered as in the Go package (and RFC 6455 opcodes). */
export const KwsMessageType = {
  Text: 1,
  Binary: 2,
} as const;

/** `KwsMessageType.Text` or `KwsMessageType.Binary`. */
export type KwsMessageType = (typeof KwsMessageType)[keyof typeof KwsMessageType];

export const DEFAULT_PATH = '/ws';
export const DEFAULT_MAX_PAYLOAD = 1024 * 1024;
export const DEFAULT_PING_INTERVAL = 25_000;
export const DEFAULT_PONG_TIMEOUT = 20_000;
export const DEFAULT_SEND_BUFFER_LIMIT = 4 * 1024 * 1024;
export const DEFAULT_SHUTDOWN_TIMEOUT = 250;
export const DEFAULT_PARTIAL_MESSAGE_TIMEOUT = 30_000;
export const DEFAULT_MAX_PARTIAL_BYTES = 64 * 1024 * 1024;
export const DEFAULT_REQUEST_TIMEOUT = 5_000;
export const DEFAULT_CONNECT_TIMEOUT = 10_000;
/**
 * Milliseconds a resume waits for the session's current socket to answer a ping: a session whose
 * socket still answers cannot be taken by another one.
 */
export const RESUME_LIVENESS_PROBE = 2_000;
export const DEFAULT_MAX_PENDING_REQUESTS = 256;
/**
 * Client messages one connection may have in async listeners at once: as many concurrent streams
 * as an HTTP/2 server grants one connection (nginx's default `http2_max_concurrent_streams`),
 * far above what a UI pipelines, and small enough that a client cannot make the server hold
 * thousands of listener calls (and their payloads) for it.
 */
export const DEFAULT_MAX_IN_FLIGHT = 128;
export const DEFAULT_HANDSHAKE_TIMEOUT = 10_000;
export const DEFAULT_MAX_PARAM_LENGTH = 256;
export const DEFAULT_MAX_ROOMS_PER_CONNECTION = 1_000;

/** RFC 6455 close codes used by the library. */
export const CloseCode = {
  Normal: 1000,
  GoingAway: 1001,
  ProtocolError: 1002,
  NoStatus: 1005,
  Abnormal: 1006,
  InvalidPayload: 1007,
  PolicyViolation: 1008,
  MessageTooBig: 1009,
  InternalError: 1011,
  TryAgainLater: 1013,
} as const;

export const DEFAULT_CLOSE_REASON = 'Connection closed';
export const SHUTDOWN_CLOSE_REASON = 'Server shutting down';
/** A close reason must fit a control frame: 125 bytes less the 2-byte code. */
export const MAX_CLOSE_REASON_BYTES = 123;
