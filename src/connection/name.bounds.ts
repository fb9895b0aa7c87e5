import { KwsEncodeError } from '../errors/kws-encode.error.js';
import { KwsError } from '../errors/kws.error.js';
import { MAX_EVENT_NAME_LENGTH, MAX_ROOM_NAME_LENGTH } from '../kws.constants.js';
import { INVALID_EVENT_NAME, INVALID_ROOM_NAME } from '../kws.messages.js';

// Names the server sends or routes have the bounds of the clients' (128 characters), far under
// the cluster codec's 65,535-byte string fields, so a long name is a clear error, not a RangeError.

/** Throws `KwsEncodeError` unless `event` is a string of 1 to 128 characters. */
export function checkEventName(event: unknown): void {
  if (typeof event !== 'string' || event.length === 0 || event.length > MAX_EVENT_NAME_LENGTH) {
    throw new KwsEncodeError(INVALID_EVENT_NAME(event, MAX_EVENT_NAME_LENGTH));
  }
}

/** Throws `KwsError` unless `room` is a string of 1 to 128 characters. */
export function checkRoomName(room: unknown): void {
  if (typeof room !== 'string' || room.length === 0 || room.length > MAX_ROOM_NAME_LENGTH) {
    throw new KwsError(INVALID_ROOM_NAME(room, MAX_ROOM_NAME_LENGTH));
  }
}
