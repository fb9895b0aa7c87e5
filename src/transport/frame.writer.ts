import type { Socket } from 'node:net';
import type { Kws } from '../connection/kws.js';
import type { KwsOutbound } from '../connection/outbound.message.js';
import { KwsDisconnectError } from '../errors/kws-disconnect.error.js';
import type { KwsSlowConsumerPolicy } from '../kws-module-options.interface.js';
import { CloseCode } from '../kws.constants.js';
import { SLOW_CONSUMER } from '../kws.messages.js';
import { rawSocketOf } from './ws-internals.js';

const OPEN = 1;

export interface KwsFrameWriterOptions {
  /** Write pre-built frames straight to the TCP socket (only without permessage-deflate). */
  rawFrames: boolean;
  sendBufferLimit: number;
  slowConsumer: KwsSlowConsumerPolicy;
}

/**
 * The one place bytes leave for a client. Without compression a message's frame is built once
 * (see KwsOutbound) and written as is, and writes to a socket are corked so that many messages
 * leave in one syscall. A peer whose queue passes `sendBufferLimit` is dropped or terminated, so
 * memory stays bounded however slow the reader.
 */
export class KwsFrameWriter {
  // A direct send (a reply) leaves as soon as the current callback ends, so it never waits for
  // other sockets' work. Fan-out leaves at the end of the event-loop turn: the broadcasts caused by
  // every message that arrived in one turn (a busy chat room) then cost one write per recipient.
  private readonly afterCallback = new CorkBatch(process.nextTick);
  private readonly afterTurn = new CorkBatch(setImmediate);

  constructor(private readonly options: KwsFrameWriterOptions) {}

  /** Writes one message; `fanOut` when it goes to many recipients (broadcast, emitToList). */
  write(kws: Kws, message: KwsOutbound, fanOut = false): boolean {
    const ws = kws.conn;
    if (ws.readyState !== OPEN) return false;
    const socket = rawSocketOf(ws);
    if (!socket || socket.destroyed) return false;
    const queued = socket.writableLength;
    if (queued > this.options.sendBufferLimit) return this.onSlowConsumer(kws, queued);
    kws.context.stats?.sent(message.data.length);
    if (!this.options.rawFrames) {
      ws.send(message.data, { binary: message.binary });
      return true;
    }
    if (socket.writableCorked === 0) (fanOut ? this.afterTurn : this.afterCallback).add(socket);
    socket.write(message.frame());
    return true;
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
