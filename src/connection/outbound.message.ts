import type { KwsEventPacket, KwsParser } from '../events/kws-packet.interface.js';
import { frameData } from '../transport/ws-internals.js';

/** Anything that can be sent: text goes as a text frame, bytes as a binary frame (unless `type` says otherwise). */
export type KwsData = string | Buffer | ArrayBuffer | ArrayBufferView;

/** What the sending methods take: raw data, or a named-event packet `{ event, data }` the parser encodes. */
export type KwsMessage<T = unknown> = KwsData | KwsEventPacket<T>;

/**
 * One outgoing message. The WebSocket frame is built at most once, however many connections it
 * goes to: a broadcast to 2,000 sockets frames its payload once, not 2,000 times.
 */
export class KwsOutbound {
  private framed: Buffer | undefined;

  constructor(
    readonly data: Buffer,
    readonly binary: boolean,
    /** Recovery on: the packet's `offset`; such a message is kept for its recipients' sessions. */
    readonly offset?: string,
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

/** True for `{ event, data }` objects (as opposed to text or bytes). */
export function isEventPacket(message: unknown): message is KwsEventPacket {
  return (
    typeof message === 'object' &&
    message !== null &&
    typeof (message as KwsEventPacket).event === 'string' &&
    !ArrayBuffer.isView(message) &&
    !(message instanceof ArrayBuffer)
  );
}

/**
 * Builds the one outgoing message of a send: a packet is encoded by the endpoint's parser (once,
 * however many recipients), raw data is sent as is (`binary` overrides the frame type).
 */
export function toOutbound(
  message: KwsMessage,
  binary: boolean | undefined,
  parser: KwsParser,
  /** Recovery on: numbers event packets (raw data cannot carry an offset). */
  offsets?: { nextOffset(): string },
): KwsOutbound {
  if (isEventPacket(message)) {
    const offset = offsets?.nextOffset();
    const encoded = parser.encode(offset === undefined ? message : { ...message, offset });
    return typeof encoded === 'string'
      ? new KwsOutbound(Buffer.from(encoded), false, offset)
      : new KwsOutbound(encoded, true, offset);
  }
  return KwsOutbound.from(message, binary);
}
