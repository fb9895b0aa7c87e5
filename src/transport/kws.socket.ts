import { WebSocket } from 'ws';
import { isStockAutoPongDone } from './ws-internals.js';

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

  /**
   * @internal `ws` gives every socket a closure of its own for its automatic pongs (it counts
   * the ones in flight), about 100 B with its context for the life of the connection, though
   * browsers never send a ping. Here it is made when a ping arrives: the closure `ws` builds
   * in its constructor is dropped at once, and each automatic pong gets a fresh one that does
   * what `ws`'s did. If `ws`'s closure is not the one checked (another `ws` version), it is
   * kept as `ws` made it.
   */
  get _autoPongComplete(): () => void {
    return () => {
      (this as unknown as { _pendingAutoPongs: number })._pendingAutoPongs--;
    };
  }

  set _autoPongComplete(done: () => void) {
    if (isStockAutoPongDone(done)) return;
    Object.defineProperty(this, '_autoPongComplete', {
      value: done,
      writable: true,
      enumerable: true,
      configurable: true,
    });
  }

  override emit(event: string | symbol, ...args: unknown[]): boolean {
    const routes = this.routes;
    if (routes !== undefined) {
      if (event === 'message') {
        routes.message(this, args[0] as Buffer, args[1] as boolean);
        // The usual case: no listener of the app's, nothing for EventEmitter to do.
        if (this.listenerCount(event) === 0) return false;
      } else if (event === 'ping') routes.ping(this, args[0] as Buffer);
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
