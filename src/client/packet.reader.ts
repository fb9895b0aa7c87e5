// Reads a frame from the server as hostile: every field is checked where it is read, nothing in
// it can make the client throw. No server imports (this ships to browsers).

const PACKET_KEYS = ['event', 'data', 'id', 'ack', 'error', 'offset', 'session'];
const MAX_ID = 2 ** 31 - 1;
/** Longest error message kept from an error ack (longer ones are cut). */
const MAX_MESSAGE = 1024;

/** What one frame from the server is. */
export type KwsServerFrame =
  | { session: { token: string; uuid: string; recovered: boolean } }
  | { event: string; data: unknown; id?: number; offset?: string }
  | { ack: number; data: unknown; error?: { message: string; status: number } }
  /** Not a packet: the app's own frame (binary, not JSON, not an envelope). */
  | { raw: true }
  /** A packet that breaks the protocol: the field that is wrong. */
  | { malformed: string };

export function readServerFrame(frame: unknown): KwsServerFrame {
  let packet: any;
  try {
    packet = typeof frame === 'string' && frame.trimStart()[0] === '{' ? JSON.parse(frame) : 0;
  } catch {
    // not JSON: a raw frame
  }
  // An object with keys of its own is the app's JSON, not a packet (as on the server).
  if (
    typeof packet !== 'object' ||
    !packet ||
    Array.isArray(packet) ||
    Object.keys(packet).some((key) => !PACKET_KEYS.includes(key)) ||
    !('event' in packet || 'ack' in packet || 'session' in packet)
  ) {
    return { raw: true };
  }
  if ('session' in packet) {
    const { token, uuid, recovered } = packet.session ?? {};
    return typeof token === 'string' && typeof uuid === 'string'
      ? { session: { token, uuid, recovered: recovered === true } }
      : { malformed: 'session' };
  }
  if ('event' in packet) {
    const { event, data, id, offset } = packet;
    if (typeof event !== 'string') return { malformed: 'event' };
    // An id is an integer from 1 to 2^31-1, an offset a string.
    if (id !== undefined && !(Number.isInteger(id) && id > 0 && id <= MAX_ID)) {
      return { malformed: 'id' };
    }
    if (offset !== undefined && typeof offset !== 'string') return { malformed: 'offset' };
    return { event, data, id, offset };
  }
  const { ack, data, error } = packet;
  if (!Number.isInteger(ack)) return { malformed: 'ack' };
  return error === undefined || error === null
    ? { ack, data }
    : { ack, data, error: readAckError(error) };
}

/**
 * An error ack's `error`: `message` only if it is a string (cut to 1,024 characters), `status`
 * only if it is an integer from 100 to 599, 500 otherwise.
 */
export function readAckError(error: any): { message: string; status: number } {
  const { message, status } = typeof error === 'object' && error ? error : ({} as any);
  return {
    message: typeof message === 'string' && message ? message.slice(0, MAX_MESSAGE) : 'Error',
    status: Number.isInteger(status) && status >= 100 && status <= 599 ? status : 500,
  };
}
