// The id of an event the rate limiter drops, found without parsing the frame: a flood must cost
// a counter check per frame, not a JSON.parse. Only where the built-in JSON codec's writers put
// it: last (`JSON.stringify({ event, data, id })`, as the shipped client writes) or first.
const OPEN = 0x7b; // {
const CLOSE = 0x7d; // }
const ZERO = 0x30;
const NINE = 0x39;
const MAX_ID = 2 ** 31 - 1;
const MAX_DIGITS = 10;
const EVENT_HEAD = Buffer.from('{"event":');
const ID_HEAD = Buffer.from('{"id":');
const ID_TAIL = Buffer.from(',"id":');
const EVENT_AFTER_ID = Buffer.from(',"event":');

/**
 * The `id` of a JSON event frame when it is the last key (`{"event":…,"id":7}`) or the first
 * (`{"id":7,"event":…}`), read from at most a few dozen bytes at the frame's ends; undefined
 * otherwise (the frame then gets no answer). In a well-formed object these bytes can only be its
 * own top-level key: a nested one is followed by a second `}` or `]`, and a string cannot end there.
 */
export function scanDroppedEventId(data: Buffer): number | undefined {
  const end = data.length - 1;
  if (end < EVENT_HEAD.length || data[0] !== OPEN || data[end] !== CLOSE) return undefined;
  if (startsAt(data, 0, EVENT_HEAD)) {
    let start = end;
    while (start > end - MAX_DIGITS && isDigit(data[start - 1])) start--;
    if (start === end || !endsAt(data, start, ID_TAIL)) return undefined;
    return idOf(data, start, end);
  }
  if (startsAt(data, 0, ID_HEAD)) {
    const start = ID_HEAD.length;
    let stop = start;
    while (stop < start + MAX_DIGITS && stop < end && isDigit(data[stop])) stop++;
    if (stop === start || !startsAt(data, stop, EVENT_AFTER_ID)) return undefined;
    return idOf(data, start, stop);
  }
  return undefined;
}

function idOf(data: Buffer, start: number, stop: number): number | undefined {
  if (data[start] === ZERO) return undefined; // 0, or a leading zero JSON would refuse
  let id = 0;
  for (let i = start; i < stop; i++) id = id * 10 + data[i] - ZERO;
  return id <= MAX_ID ? id : undefined;
}

function isDigit(byte: number | undefined): boolean {
  return byte !== undefined && byte >= ZERO && byte <= NINE;
}

function startsAt(data: Buffer, at: number, bytes: Buffer): boolean {
  if (at + bytes.length > data.length) return false;
  for (let i = 0; i < bytes.length; i++) if (data[at + i] !== bytes[i]) return false;
  return true;
}

/** Whether `bytes` sits right before `at`. */
function endsAt(data: Buffer, at: number, bytes: Buffer): boolean {
  return at >= bytes.length && startsAt(data, at - bytes.length, bytes);
}
