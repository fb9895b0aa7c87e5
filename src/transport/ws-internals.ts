// The few parts of `ws` that its typings leave out and the fast paths rely on. Kept in one file so
// an upgrade of `ws` has one place to check.
import type { Socket } from 'node:net';
import * as wsModule from 'ws';
import type { WebSocket } from 'ws';

interface FrameOptions {
  fin: boolean;
  opcode: number;
  mask: boolean;
  readOnly: boolean;
  rsv1: boolean;
}

/** `ws`'s frame builder (public in its ESM wrapper, missing from @types/ws). */
export const frameData = (
  wsModule as unknown as {
    Sender: { frame(data: Buffer, options: FrameOptions): Buffer[] };
  }
).Sender.frame;

/** The TCP socket under an open `ws` connection (what `ws`'s own Sender writes to). */
export function rawSocketOf(ws: WebSocket): Socket | undefined {
  return (ws as unknown as { _socket?: Socket })._socket;
}
