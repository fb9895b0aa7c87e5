import type { Socket } from 'node:net';
import type { Kws } from '../connection/kws.js';
import type { KwsOutbound } from '../connection/outbound.message.js';
import { KwsDisconnectError } from '../errors/kws-disconnect.error.js';
import { KwsInvalidConnectionError } from '../errors/kws-invalid-connection.error.js';
import type { KwsSlowConsumerPolicy } from '../kws-module-options.interface.js';
import { CloseCode, KwsEvent } from '../kws.constants.js';
import { SLOW_CONSUMER } from '../kws.messages.js';
import type { SendFrame } from './ws-internals.js';

const OPEN = 1;
const TEXT = Object.freeze({ binary: false });
const BINARY = Object.freeze({ binary: true });

export interface KwsFrameWriterOptions {
  /** permessage-deflate is on: every message goes through `ws.send`, which compresses it. */
  compression: boolean;
  sendBufferLimit: number;
  /** Queue size past which writes report back-pressure (`emit` returns false, then `drain`). */
  highWaterMark: number;
  slowConsumer: KwsSlowConsumerPolicy;
  /** `ws`'s frame writer if the boot-time probe passed; undefined: everything via `ws.send`. */
  sendFrame: SendFrame | undefined;
}

/** Per-connection back-pressure state, made only for a connection that passed the mark. */
export class KwsBackPressure {
  /** Writes since the mark was passed whose bytes are not flushed yet. */
  unflushed = 0;
  waiters: Array<{ resolve: () => void; reject: (error: Error) => void }> = [];
  constructor(readonly onFlushed: (error?: Error | null) => void) {}
}

/**
 * The one place bytes leave for a client. Without compression a message's frame is built once
 * (see KwsOutbound) and handed to each connection's `ws` Sender as is, and writes to a socket are
 * corked so that many messages leave in one syscall. The queue of a connection is what `ws`
 * reports as `bufferedAmount` (the socket's buffer and what `ws` holds while compressing), so
 * the slow-consumer bound holds with and without compression.
 */
export class KwsFrameWriter {
  // A direct send (a reply, a delivery from another node) leaves at once: nothing is gained by
  // waiting, and a cross-node emitTo's frame then leaves before the node answers the sender. A
  // second direct send to the same socket in the same callback is corked with what follows and
  // leaves when the callback ends. Fan-out leaves at the end of the event-loop turn: the
  // broadcasts caused by every message that arrived in one turn (a busy chat room) then cost one
  // write per recipient.
  private readonly afterCallback = new CorkBatch(process.nextTick);
  private readonly afterTurn = new CorkBatch(setImmediate);
  /**
   * Sockets written to directly in the current callback (cleared when it ends): the first one,
   * then a set for the others (a reply to one client touches one socket: no set per callback).
   */
  private touched: Socket | undefined = undefined;
  private touchedMore: Set<Socket> | undefined = undefined;
  private readonly untouch = (): void => {
    this.touched = undefined;
    this.touchedMore = undefined;
  };
  private readonly rawFrames: boolean;
  private readonly highWaterMark: number;

  constructor(private readonly options: KwsFrameWriterOptions) {
    this.rawFrames = !options.compression && options.sendFrame !== undefined;
    this.highWaterMark = Math.min(options.highWaterMark, options.sendBufferLimit);
  }

  /** How messages leave: pre-built frames through `ws`'s Sender, or `ws.send` for each. */
  get mode(): 'frames' | 'ws.send' {
    return this.rawFrames ? 'frames' : 'ws.send';
  }

  /**
   * Writes one message; `fanOut` when it goes to many recipients (broadcast, emitToList). False
   * when it was not written (the connection is not open, or the slow-consumer policy refused it).
   * Past `highWaterMark` it is written and `kws.backPressure` is set until the queue is flushed.
   */
  write(kws: Kws, message: KwsOutbound, fanOut = false): boolean {
    const ws = kws.conn;
    if (ws.readyState !== OPEN) return false;
    const socket = kws.upgrade.socket;
    if (socket.destroyed) return false;
    const queued = ws.bufferedAmount;
    if (queued > this.options.sendBufferLimit) return this.onSlowConsumer(kws, queued);
    kws.context.stats?.sent(message.data.length);
    if (socket.writableCorked === 0) {
      if (fanOut) this.afterTurn.add(socket);
      else if (this.touched === undefined) {
        this.touched = socket;
        process.nextTick(this.untouch);
      } else if (this.touched === socket || this.touchedMore?.has(socket)) {
        this.afterCallback.add(socket);
      } else (this.touchedMore ??= new Set()).add(socket);
    }
    let pressure = kws.backPressure;
    if (pressure === undefined && queued + message.data.length > this.highWaterMark) {
      pressure = kws.backPressure = new KwsBackPressure((error) => this.flushed(kws, error));
    }
    const done = pressure?.onFlushed;
    if (pressure) pressure.unflushed++;
    // A frame may go straight to the Sender only when `ws` holds nothing of its own (a message it
    // is still compressing or reading from a Blob): otherwise it queues behind, through `ws.send`.
    if (this.rawFrames && queued === socket.writableLength) {
      this.options.sendFrame!(ws, message.frame(), done);
    } else {
      ws.send(message.data, message.binary ? BINARY : TEXT, done);
    }
    return true;
  }

  /** Resolves once the connection's queue is under the mark (at once if it is). */
  drained(kws: Kws): Promise<void> {
    const pressure = kws.backPressure;
    if (!pressure) return Promise.resolve();
    return new Promise((resolve, reject) => pressure.waiters.push({ resolve, reject }));
  }

  /** The connection ended: whoever awaits `drained()` learns it. */
  release(kws: Kws): void {
    const pressure = kws.backPressure;
    if (!pressure) return;
    kws.backPressure = undefined;
    const error = new KwsInvalidConnectionError(kws.uuid);
    for (const waiter of pressure.waiters) waiter.reject(error);
  }

  /** A write made past the mark was flushed; once all are, the queue is drained. */
  private flushed(kws: Kws, error?: Error | null): void {
    const pressure = kws.backPressure;
    if (!pressure || --pressure.unflushed > 0 || error || !kws.isAlive()) return;
    kws.backPressure = undefined;
    for (const waiter of pressure.waiters) waiter.resolve();
    kws.context.dispatcher.dispatch(kws, KwsEvent.Drain);
  }

  private onSlowConsumer(kws: Kws, queued: number): false {
    kws.context.stats?.slowConsumer(this.options.slowConsumer);
    if (this.options.slowConsumer === 'close') {
      const limit = this.options.sendBufferLimit;
      kws.terminate(
        new KwsDisconnectError(
          CloseCode.Abnormal,
          '',
          SLOW_CONSUMER(queued, limit),
          'slow-consumer',
        ),
      );
    }
    return false;
  }
}

/** Sockets corked until one scheduled flush uncorks them all. */
class CorkBatch {
  private sockets: Socket[] = [];

  constructor(private readonly schedule: (flush: () => void) => unknown) {}

  add(socket: Socket): void {
    socket.cork();
    if (this.sockets.push(socket) === 1) this.schedule(this.flush);
  }

  private readonly flush = (): void => {
    const sockets = this.sockets;
    this.sockets = [];
    for (const socket of sockets) if (socket.writableCorked > 0) socket.uncork();
  };
}
