import type { KwsPacket, KwsParser } from './kws-packet.interface.js';

// '{' then optional spaces then '"': anything else cannot be an envelope, and skipping
// JSON.parse for it keeps raw text traffic as cheap as before.
const OPEN_BRACE = 0x7b;
const PACKET_KEYS = new Set([
  'event',
  'data',
  'id',
  'rid',
  'ack',
  'error',
  'offset',
  'channel',
  'trace',
]);

/**
 * The built-in codec: one JSON object per text frame, `{event, data, id?}` or `{ack, data?|error?}`
 * (the shape of Nest's platform-ws gateways). Binary frames, text that is not such an object and
 * objects with keys of their own are not packets.
 */
export class JsonKwsParser implements KwsParser {
  decode(data: Buffer, isBinary: boolean): KwsPacket | undefined {
    if (isBinary || data.length < 2 || firstNonSpace(data) !== OPEN_BRACE) return undefined;
    let value: unknown;
    try {
      value = JSON.parse(data.toString());
    } catch {
      return undefined;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    const packet = value as Record<string, unknown>;
    if (!('event' in packet || 'ack' in packet)) return undefined;
    // An object with keys of its own is an app's JSON, not an envelope: the Go example's
    // {from, to, event, data} keeps reaching `message` listeners when the parser is turned on.
    for (const key in packet) if (!PACKET_KEYS.has(key)) return undefined;
    return packet as unknown as KwsPacket;
  }

  encode(packet: KwsPacket): string {
    return JSON.stringify(packet);
  }
}

/**
 * `JSON.stringify({ ack, data })` without the wrapper object, byte for byte: the built-in
 * parser's acknowledgement of a listener's value, the one packet every request/ack round trip
 * writes. Undefined when the wrapper could differ (a `toJSON`, which would see the key 'data') or
 * when `data` cannot be encoded: the caller then encodes the packet as usual.
 */
export function jsonAck(ack: number, data: unknown): string | undefined {
  if (
    typeof data === 'object' &&
    data !== null &&
    typeof (data as { toJSON?: unknown }).toJSON === 'function'
  ) {
    return undefined;
  }
  let encoded: string | undefined;
  try {
    encoded = JSON.stringify(data);
  } catch {
    return undefined;
  }
  // A function or a symbol: the wrapper drops the key.
  if (encoded === undefined) return `{"ack":${ack}}`;
  return `{"ack":${ack},"data":${encoded}}`;
}

/** The built-in parser's own `encode` (not a subclass's): what `jsonAck` stands in for. */
export function isBuiltInJsonEncode(parser: KwsParser): boolean {
  return parser.encode === JsonKwsParser.prototype.encode;
}

function firstNonSpace(data: Buffer): number {
  for (let i = 0; i < data.length; i++) {
    const byte = data[i];
    if (byte !== 0x20 && byte !== 0x0a && byte !== 0x0d && byte !== 0x09) return byte;
  }
  return -1;
}
