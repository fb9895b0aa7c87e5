import type { Socket } from 'node:net';
import type { Kws } from '../connection/kws.js';
import type { KwsOutbound } from '../connection/kws-outbound.js';
import { KwsDisconnectError } from '../errors/kws-disconnect.error.js';
import type { KwsSlowConsumerPolicy } from '../interfaces/kws-module-options.interface.js';
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
 * (see KwsOutbound) and written as is; writes to a socket within one event-loop turn are corked
 * into a single syscall. A peer whose queue passes `sendBufferLimit` is dropped or terminated, so memory stays
 * bounded however slow the reader.
 */
export class KwsFrameWriter {
  private corked: Socket[] = [];
  private readonly uncorkAll = (): void => {
    const sockets = this.corked;
    this.corked = [];
    for (const socket of sockets) if (socket.writableCorked > 0) socket.uncork();
  };

  constructor(private readonly options: KwsFrameWriterOptions) {}

  write(kws: Kws, message: KwsOutbound): boolean {
    const ws = kws.conn;
    if (ws.readyState !== OPEN) return false;
    const socket = rawSocketOf(ws);
    if (!socket || socket.destroyed) return false;
    const queued = socket.writableLength;
    if (queued > this.options.sendBufferLimit) return this.onSlowConsumer(kws, queued);
    if (!this.options.rawFrames) {
      ws.send(message.data, { binary: message.binary });
      return true;
    }
    if (socket.writableCorked === 0) {
      socket.cork();
      // Flush after the I/O phase, not after this callback: broadcasts caused by every message that
      // arrived in this turn (a busy chat room) then leave as one write per recipient, not one each.
      if (this.corked.push(socket) === 1) setImmediate(this.uncorkAll);
    }
    socket.write(message.frame());
    return true;
  }

  private onSlowConsumer(kws: Kws, queued: number): false {
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
