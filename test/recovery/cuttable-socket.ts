import type { Socket } from 'node:net';
import { WebSocket, type ClientOptions } from 'ws';
import type { KwsSocketConstructor } from '../../src/client/index.js';

/**
 * `ws`'s WebSocket class, remembering its instances, for the shipped client's `WebSocket` option:
 * `cut()` destroys the TCP connection under the client's current socket (no close handshake),
 * as a lost network path would.
 */
export class CuttableSockets {
  readonly sockets: WebSocket[] = [];
  readonly WebSocket: KwsSocketConstructor;
  /** When set, every new connection goes to this port instead (a balancer picking another node). */
  port: number | undefined;

  constructor() {
    const sockets = this.sockets;
    const route = (): number | undefined => this.port;
    this.WebSocket = class extends WebSocket {
      constructor(url: string, protocols?: string | string[], options?: ClientOptions) {
        const target = new URL(url);
        if (route() !== undefined) target.port = String(route());
        super(target.href, protocols, options);
        sockets.push(this);
      }
    };
  }

  /** Destroys the TCP socket of the latest connection. */
  cut(): void {
    const socket = (this.sockets.at(-1) as unknown as { _socket?: Socket })._socket;
    if (!socket) throw new Error('the client has no open connection to cut');
    socket.destroy();
  }
}
