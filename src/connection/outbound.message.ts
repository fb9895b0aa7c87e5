import { frameData } from '../transport/ws-internals.js';

/**
 * One outgoing message. The WebSocket frame is built at most once, however many connections it
 * goes to: a broadcast to 2,000 sockets frames its payload once, not 2,000 times.
 */
export class KwsOutbound {
  private framed: Buffer | undefined;

  constructor(
    readonly data: Buffer,
    readonly binary: boolean,
  ) {}

  /** Text as UTF-8, anything else as bytes. */
  static from(
    data: string | Buffer | ArrayBuffer | ArrayBufferView,
    binary?: boolean,
  ): KwsOutbound {
    if (typeof data === 'string') return new KwsOutbound(Buffer.from(data), binary ?? false);
    return new KwsOutbound(toBuffer(data), binary ?? true);
  }

  /** The complete unmasked server frame (header and payload in one buffer, for one write). */
  frame(): Buffer {
    if (this.framed === undefined) {
      const parts = frameData(this.data, {
        fin: true,
        opcode: this.binary ? 2 : 1,
        mask: false,
        readOnly: true,
        rsv1: false,
      });
      this.framed = parts.length === 1 ? parts[0] : Buffer.concat(parts);
    }
    return this.framed;
  }
}

export function toBuffer(data: Buffer | ArrayBuffer | ArrayBufferView | string): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (typeof data === 'string') return Buffer.from(data);
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data);
}
