import { KwsEncodeError } from '../errors/kws-encode.error.js';
import type { KwsEventPacket, KwsPacket, KwsParser } from '../events/kws-packet.interface.js';
import { KwsMessageType } from '../kws.constants.js';
import { ENCODE_FAILED } from '../kws.messages.js';
import { checkEventName } from './name.bounds.js';

/** Anything that can be sent: text goes as a text frame, bytes as a binary frame (unless `type` says otherwise). */
export type KwsData = string | Buffer | ArrayBuffer | ArrayBufferView;

/** What the sending methods take: raw data, or a named-event packet `{ event, data }` the parser encodes. */
export type KwsMessage<T = unknown> = KwsData | KwsEventPacket<T>;

/**
 * One outgoing message. The WebSocket frame is built at most once, however many connections it
 * goes to: a broadcast to 2,000 sockets frames its payload once, not 2,000 times.
 */
export class KwsOutbound {
  private framed: readonly Buffer[] | undefined;

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

  /**
   * The complete unmasked server frame, header and payload in one buffer (so one write), in a
   * one-element list: the shape a Sender's `sendFrame` takes, built once for every recipient.
   */
  frame(): readonly Buffer[] {
    return (this.framed ??= [serverFrame(this.data, this.binary ? 2 : 1)]);
  }
}

/** An unmasked, unfragmented RFC 6455 frame (FIN set, no extension bits) around `payload`. */
export function serverFrame(payload: Buffer, opcode: number): Buffer {
  const length = payload.length;
  const header = length < 126 ? 2 : length < 65536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(header + length);
  frame[0] = 0x80 | opcode;
  if (header === 2) {
    frame[1] = length;
  } else if (header === 4) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
    frame.writeUInt32BE(length >>> 0, 6);
  }
  payload.copy(frame, header);
  return frame;
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

/** A send's frame type: text or binary when `type` says so, else as the data is. */
export function binaryOf(type: KwsMessageType | undefined): boolean | undefined {
  return type === undefined ? undefined : type === KwsMessageType.Binary;
}

/**
 * Builds the one outgoing message of a send: a packet is encoded by the endpoint's parser (once,
 * however many recipients), raw data is sent as is (`binary` overrides the frame type). Throws
 * `KwsEncodeError` when the packet cannot be encoded or its event name is not 1 to 128 characters.
 */
export function toOutbound(
  message: KwsMessage,
  binary: boolean | undefined,
  parser: KwsParser,
  /** Recovery on one node: numbers event packets (raw data cannot carry an offset). */
  offsets?: { nextOffset(): string },
): KwsOutbound {
  if (isEventPacket(message)) {
    checkEventName(message.event);
    const offset = offsets?.nextOffset();
    return encodePacket(parser, offset === undefined ? message : { ...message, offset }, offset);
  }
  return KwsOutbound.from(message, binary);
}

/**
 * Encodes a protocol packet (an event, a request, an ack) through the parser; a parser that throws
 * (a BigInt, a cycle, data nested too deep for JSON.stringify) becomes a `KwsEncodeError`.
 */
export function encodePacket(parser: KwsParser, packet: KwsPacket, offset?: string): KwsOutbound {
  let encoded: string | Buffer;
  try {
    encoded = parser.encode(packet);
  } catch (error) {
    throw new KwsEncodeError(ENCODE_FAILED(describePacket(packet), errorText(error)), {
      cause: error,
    });
  }
  return typeof encoded === 'string'
    ? new KwsOutbound(Buffer.from(encoded), false, offset)
    : new KwsOutbound(encoded, true, offset);
}

function describePacket(packet: KwsPacket): string {
  if ('event' in packet) return `the "${packet.event}" packet`;
  if ('ack' in packet) return `the acknowledgement of request ${packet.ack}`;
  return 'the packet';
}

/** An error's message, whatever was thrown (never throws itself). */
function errorText(error: unknown): string {
  if (error instanceof Error) return error.message;
  return typeof error === 'string' ? error : 'the parser threw a non-Error value';
}
