import { WebSocket } from 'ws';

/** Where an endpoint's sockets send what `ws` reports: frames, pings, pongs, errors, the close. */
export interface KwsSocketRoutes {
  message(socket: KwsSocket, data: Buffer, isBinary: boolean): void;
  ping(socket: KwsSocket, data: Buffer): void;
  pong(socket: KwsSocket, data: Buffer): void;
  error(socket: KwsSocket, error: Error): void;
  close(socket: KwsSocket, code: number, reason: Buffer): void;
}

/**
 * The `ws` socket of every kws connection (`ws`'s documented `WebSocket` server option: a class
 * that extends its own). What `ws` emits goes straight to the endpoint's routes instead of through
 * five listeners per socket, which would each take a slot in every idle connection's listener
 * table; listeners an app adds itself (`kws.conn.on(...)`) still run, after the routes.
 */
export class KwsSocket extends WebSocket {
  /** @internal Set by the endpoint once the socket is a connection's. */
  routes: KwsSocketRoutes | undefined = undefined;
  /** @internal The connection this socket carries (the endpoint's `Kws`). */
  owner: unknown = undefined;

  override emit(event: string | symbol, ...args: unknown[]): boolean {
    const routes = this.routes;
    if (routes !== undefined) {
      if (event === 'message') routes.message(this, args[0] as Buffer, args[1] as boolean);
      else if (event === 'ping') routes.ping(this, args[0] as Buffer);
      else if (event === 'pong') routes.pong(this, args[0] as Buffer);
      else if (event === 'close') routes.close(this, args[0] as number, args[1] as Buffer);
      else if (event === 'error') {
        routes.error(this, args[0] as Error);
        // Handled: without a listener of the app's, EventEmitter would throw it.
        if (this.listenerCount('error') === 0) return true;
      }
    }
    return super.emit(event, ...args);
  }
}
