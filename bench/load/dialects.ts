// How each server is spoken to over the same raw `ws` client, so every server pays the same
// client-side cost: only the handshake and the framing of an echo request differ.
import type { WebSocket } from 'ws';

export type DialectName = 'raw' | 'nest' | 'socketio' | 'kws-events';

/** What an incoming frame meant for the benchmark. */
export type Received = 'ready' | 'data' | 'ignore';

export interface Dialect {
  /** Path and query of the WebSocket URL. */
  path: string;
  /** Whether the connection is usable as soon as the WebSocket is open. */
  readyOnOpen: boolean;
  /** Classifies a frame, answering protocol chatter (socket.io pings) on the way. */
  receive(socket: WebSocket, data: Buffer): Received;
  /** The frame that asks the server to echo `payload` back. */
  echoRequest(payload: string): string;
  /** The frame that asks the server to broadcast `payload` (which starts with '!') to everyone. */
  broadcastRequest(payload: string): string;
  /** A request that the server's `echo` handler answers (an acknowledgement where there are ids). */
  ackRequest(payload: string, id: number): string;
}

const raw: Dialect = {
  path: '/ws',
  readyOnOpen: true,
  receive: () => 'data',
  echoRequest: (payload) => payload,
  broadcastRequest: (payload) => payload,
  ackRequest: (payload) => payload,
};

/** @nestjs/platform-ws routes `{ event, data }` JSON frames to @SubscribeMessage handlers. */
const nest: Dialect = {
  ...raw,
  echoRequest: (payload) => JSON.stringify({ event: 'echo', data: payload }),
  broadcastRequest: (payload) => JSON.stringify({ event: 'broadcast', data: payload }),
  // A gateway has no ids: its handler's returned `{ event, data }` is the answer.
  ackRequest: (payload) => JSON.stringify({ event: 'echo', data: payload }),
};

/** nestjs-kws with `parser: 'json'`: `{ event, data, id }` answered by `{ ack: id, data }`. */
const kwsEvents: Dialect = {
  ...raw,
  receive: (_socket, data) => (data[0] === 0x7b ? 'data' : 'ignore'),
  ackRequest: (payload, id) => JSON.stringify({ event: 'echo', data: { text: payload }, id }),
};

const CHAR_0 = 0x30;
const CHAR_2 = 0x32;
const CHAR_3 = 0x33;
const CHAR_4 = 0x34;

/**
 * Engine.IO v4 over websocket: '0{..}' open -> client '40' (join namespace /) -> '40{..}' joined;
 * '2' ping -> '3' pong; '42[...]' is an event.
 */
const socketio: Dialect = {
  path: '/socket.io/?EIO=4&transport=websocket',
  readyOnOpen: false,
  receive(socket, data) {
    const first = data[0];
    if (first === CHAR_4) {
      if (data[1] === CHAR_2 || data[1] === CHAR_3) return 'data';
      if (data[1] === CHAR_0) return 'ready';
      return 'ignore';
    }
    if (first === CHAR_0) socket.send('40');
    else if (first === CHAR_2 && data.length === 1) socket.send('3');
    return 'ignore';
  },
  echoRequest: (payload) => `42${JSON.stringify(['echo', payload])}`,
  broadcastRequest: (payload) => `42${JSON.stringify(['broadcast', payload])}`,
  // emitWithAck: '42<id>[event, data]' answered by '43<id>[data]'.
  ackRequest: (payload, id) => `42${id}${JSON.stringify(['echo-ack', payload])}`,
};

export const dialects: Record<DialectName, Dialect> = {
  raw,
  nest,
  socketio,
  'kws-events': kwsEvents,
};
