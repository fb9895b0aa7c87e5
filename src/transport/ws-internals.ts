// The one part of `ws` that its public API leaves out and the fast path relies on: writing a
// pre-built frame through a connection's Sender (what socket.io does, after the same kind of
// check). Kept in one file so an upgrade of `ws` has one place to check. Everything else the
// library needs from `ws` is public: `send`, `bufferedAmount`, and the documented `error.code`.
import type { Writable } from 'node:stream';
import * as wsModule from 'ws';
import type { WebSocket } from 'ws';
import { CloseCode } from '../kws.constants.js';

/** Writes one pre-built frame (`[frame]`) on a connection; `done` once the bytes are flushed. */
export type SendFrame = (ws: WebSocket, frame: readonly Buffer[], done?: WriteDone) => void;
export type WriteDone = (error?: Error | null) => void;

interface SenderLike {
  sendFrame(list: readonly Buffer[], done?: WriteDone): void;
}
type SenderClass = new (socket: Writable, extensions?: object) => SenderLike;

/**
 * Checked once at boot: `ws`'s Sender exists and its `sendFrame` writes exactly the bytes it is
 * given, in order, to the socket. Returns undefined when that no longer holds (a future `ws`
 * moved it): the writer then sends every message through the public `ws.send`.
 */
export function probeSendFrame(module: object = wsModule): SendFrame | undefined {
  try {
    const Sender = (module as { Sender?: SenderClass }).Sender;
    if (typeof Sender !== 'function' || typeof Sender.prototype?.sendFrame !== 'function') {
      return undefined;
    }
    const written: Buffer[] = [];
    const sink = {
      cork() {},
      uncork() {},
      write(chunk: Buffer, done?: WriteDone) {
        written.push(chunk);
        done?.();
        return true;
      },
    } as unknown as Writable;
    const sender = new Sender(sink, {});
    const first = Buffer.from([0x81, 0x01, 0x61]);
    const second = Buffer.from([0x82, 0x00]);
    let called = 0;
    sender.sendFrame([first], () => called++);
    sender.sendFrame([second]);
    if (called !== 1 || !Buffer.concat(written).equals(Buffer.concat([first, second]))) {
      return undefined;
    }
  } catch {
    return undefined;
  }
  return (ws, frame, done) =>
    (ws as unknown as { _sender: SenderLike })._sender.sendFrame(frame, done);
}

/** Whether an open connection has the Sender the probe checked (a per-socket sanity check). */
export function hasSender(ws: WebSocket): boolean {
  const sender = (ws as unknown as { _sender?: SenderLike })._sender;
  return typeof sender?.sendFrame === 'function';
}

// `ws` documents a `code` on every protocol error it emits (WS_ERR_*); zlib errors while
// inflating carry zlib's own codes (Z_*). The close code each one leads to, per RFC 6455.
const CLOSE_CODES: Readonly<Record<string, number>> = {
  WS_ERR_UNSUPPORTED_MESSAGE_LENGTH: CloseCode.MessageTooBig,
  WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH: CloseCode.MessageTooBig,
  WS_ERR_INVALID_UTF8: CloseCode.InvalidPayload,
  WS_ERR_TOO_MANY_BUFFERED_PARTS: CloseCode.PolicyViolation,
};

/** The close code `ws` closes with after emitting `error`, from the error's documented `code`. */
export function closeCodeOf(error: Error & { code?: unknown }): number {
  const code = typeof error.code === 'string' ? error.code : '';
  const known = CLOSE_CODES[code];
  if (known !== undefined) return known;
  if (code.startsWith('WS_ERR_')) return CloseCode.ProtocolError;
  if (code.startsWith('Z_')) return CloseCode.InvalidPayload;
  return CloseCode.Abnormal;
}

// `ws` 8.17+ gives each socket a closure `_autoPongComplete` that counts its automatic pongs in
// flight. KwsSocket makes that closure only when a ping arrives; this says whether a closure `ws`
// made is one it may stand in for.
let stockAutoPongSource: string | null | undefined;

/**
 * Whether `done` is `ws`'s own automatic-pong callback: the same source as the one a stock `ws`
 * socket gets, which (checked once, on a socket that is never connected) does nothing but
 * decrement its `_pendingAutoPongs`.
 */
export function isStockAutoPongDone(done: unknown, module: object = wsModule): boolean {
  if (typeof done !== 'function') return false;
  stockAutoPongSource ??= probeAutoPongSource(module);
  return (
    stockAutoPongSource !== null && Function.prototype.toString.call(done) === stockAutoPongSource
  );
}

function probeAutoPongSource(module: object): string | null {
  try {
    const Socket = (module as { WebSocket?: new (...args: unknown[]) => object }).WebSocket;
    if (typeof Socket !== 'function') return null;
    const socket = new Socket(null, undefined, { autoPong: true }) as Record<string, unknown>;
    const done = socket._autoPongComplete;
    if (typeof done !== 'function' || socket._pendingAutoPongs !== 0) return null;
    const before = Object.entries(socket);
    socket._pendingAutoPongs = 5;
    done();
    if (socket._pendingAutoPongs !== 4) return null;
    socket._pendingAutoPongs = 0;
    const after = Object.entries(socket);
    // Nothing else changed: the count is all it keeps.
    if (
      after.length !== before.length ||
      after.some(([k, v], i) => before[i][0] !== k || before[i][1] !== v)
    ) {
      return null;
    }
    return Function.prototype.toString.call(done);
  } catch {
    return null;
  }
}

/** Bytes the message a connection is receiving will hold, announced by its frames so far. */
export type PartialBytes = (ws: WebSocket) => number;

/**
 * Checked once at boot: `ws`'s Receiver keeps the announced length of the message in progress in
 * `_totalPayloadLength` (0 between messages). Returns undefined when that no longer holds: the
 * partial-message bounds are then off, and the endpoint says so once.
 */
export function probePartialBytes(module: object = wsModule): PartialBytes | undefined {
  try {
    const Receiver = (module as { Receiver?: new (options?: object) => object }).Receiver;
    if (typeof Receiver !== 'function') return undefined;
    const receiver = new Receiver({}) as { _totalPayloadLength?: unknown };
    if (receiver._totalPayloadLength !== 0) return undefined;
  } catch {
    return undefined;
  }
  return (ws) => {
    const length = (ws as unknown as { _receiver?: { _totalPayloadLength?: unknown } })._receiver
      ?._totalPayloadLength;
    return typeof length === 'number' ? length : 0;
  };
}
