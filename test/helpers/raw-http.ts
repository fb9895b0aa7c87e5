import { connect, type Socket } from 'node:net';

/** A raw TCP client that sends one HTTP request and records what comes back. */
export interface RawExchange {
  socket: Socket;
  /** Resolves with the bytes received once the server sends FIN or closes. */
  ended: Promise<string>;
  /** Resolves with the first chunk the server sends. */
  firstChunk: Promise<string>;
}

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';

/** The headers of a valid WebSocket upgrade for `path`. */
export function upgradeRequest(path: string, extra: Record<string, string> = {}): string {
  const headers = {
    Host: 'localhost',
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Key': KEY,
    'Sec-WebSocket-Version': '13',
    ...extra,
  };
  const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}`);
  return `GET ${path} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`;
}

/**
 * Connects, writes `request`, and never closes its own half (a client that keeps the connection
 * open): only the server can release the socket.
 */
export function rawExchange(port: number, request: string): Promise<RawExchange> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    let received = '';
    let first: (text: string) => void = () => undefined;
    const firstChunk = new Promise<string>((r) => (first = r));
    const ended = new Promise<string>((r) => {
      socket.on('end', () => r(received));
      socket.on('close', () => r(received));
    });
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString();
      first(received);
    });
    socket.on('error', () => undefined);
    socket.once('connect', () => {
      socket.write(request);
      resolve({ socket, ended, firstChunk });
    });
    socket.once('error', reject);
  });
}
