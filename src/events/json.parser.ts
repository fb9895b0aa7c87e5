import type { KwsPacket, KwsParser } from './kws-packet.interface.js';

// '{' then optional spaces then '"': anything else cannot be an envelope, and skipping
// JSON.parse for it keeps raw text traffic as cheap as before.
const OPEN_BRACE = 0x7b;

/**
 * The built-in codec: one JSON object per text frame, `{event, data, id?}` or `{ack, data?|error?}`
 * (the shape of Nest's platform-ws gateways). Binary frames and text that is not such an object
 * are not packets.
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
    if ('event' in packet || 'ack' in packet) return packet as unknown as KwsPacket;
    return undefined;
  }

  encode(packet: KwsPacket): string {
    return JSON.stringify(packet);
  }
}

function firstNonSpace(data: Buffer): number {
  for (let i = 0; i < data.length; i++) {
    const byte = data[i];
    if (byte !== 0x20 && byte !== 0x0a && byte !== 0x0d && byte !== 0x09) return byte;
  }
  return -1;
}
