import { encodePacket, type KwsOutbound } from '../connection/outbound.message.js';
import { ackBodyOf } from '../events/ack.body.js';
import type { KwsDispatchOutcome } from '../events/event.dispatcher.js';
import {
  isAckPacket,
  type KwsAckErrorBody,
  type KwsParser,
} from '../events/kws-packet.interface.js';
import { INTERNAL_ERROR } from '../kws.messages.js';
import { OUTCOME_NOT_KEPT, REQUEST_WINDOW, type KwsRememberedRequest } from './request.dedupe.js';

/**
 * Bytes of answers a session's rid window carries to another node at most, the newest first: a
 * request whose answer does not fit is remembered without it (a retry gets a 409, it does not run
 * again). Also the most one late answer sends through the log.
 */
export const REQUEST_OUTCOME_BYTES = 32 * 1024;

/**
 * One request of a window in a snapshot (JSON): answered (`t`: the acknowledgement with id 0 as the
 * parser encodes it, text; `b`: binary, base64), still running on a node (`r`), or answered with
 * an answer too big to keep (`u`).
 */
type RequestRecord =
  [rid: number, kind: 't' | 'b' | 'r', value: string] | [rid: number, kind: 'u', value?: undefined];

/**
 * An outcome as the client got it: its acknowledgement (id 0) as the parser encodes it. A value
 * the parser cannot encode was answered 500 (as `sendAck` does), so that is what is kept.
 */
export function encodeOutcome(parser: KwsParser, outcome: KwsDispatchOutcome): KwsOutbound {
  try {
    return encodePacket(parser, { ack: 0, ...ackBodyOf(outcome) });
  } catch {
    return encodePacket(parser, { ack: 0, error: { message: INTERNAL_ERROR, status: 500 } });
  }
}

/**
 * An outcome kept by `encodeOutcome`, read back with the same parser: the retry gets what the
 * first answer carried. One that does not read back as an acknowledgement counts as not kept.
 */
export function decodeOutcome(
  parser: KwsParser,
  data: Buffer,
  binary: boolean,
): KwsDispatchOutcome {
  let packet: unknown;
  try {
    packet = parser.decode(data, binary);
  } catch {
    return OUTCOME_NOT_KEPT;
  }
  if (typeof packet !== 'object' || packet === null || !isAckPacket(packet as never)) {
    return OUTCOME_NOT_KEPT;
  }
  const { data: value, error } = packet as { data?: unknown; error?: unknown };
  if (error === undefined) return { listeners: 1, value, error: undefined };
  if (!isErrorBody(error)) return OUTCOME_NOT_KEPT;
  return {
    listeners: 1,
    value: undefined,
    error: undefined,
    ackError: { message: error.message, status: error.status },
  };
}

/**
 * A session's window as its snapshot carries it (JSON, '' when empty): requests still running
 * name their node (`node` for this one's own runs); answers fit in REQUEST_OUTCOME_BYTES, the
 * newest first.
 */
export function requestsSnapshot(
  requests: readonly KwsRememberedRequest[],
  parser: KwsParser,
  node: string,
): string {
  if (requests.length === 0) return '';
  const records: RequestRecord[] = [];
  let budget = REQUEST_OUTCOME_BYTES;
  for (let i = requests.length - 1; i >= 0; i--) {
    const { rid, settled, runner } = requests[i];
    if (!settled) {
      records.push([rid, 'r', runner ?? node]);
      continue;
    }
    const frame = encodeOutcome(parser, settled);
    if (frame.data.length > budget) {
      records.push([rid, 'u']);
      continue;
    }
    budget -= frame.data.length;
    records.push(
      frame.binary ? [rid, 'b', frame.data.toString('base64')] : [rid, 't', frame.data.toString()],
    );
  }
  return JSON.stringify(records);
}

/** A window read back from a snapshot (oldest first); anything malformed is left out. */
export function restoredRequests(snapshot: string, parser: KwsParser): KwsRememberedRequest[] {
  if (!snapshot) return [];
  let records: unknown;
  try {
    records = JSON.parse(snapshot);
  } catch {
    return [];
  }
  if (!Array.isArray(records)) return [];
  const requests: KwsRememberedRequest[] = [];
  for (const record of records.slice(0, REQUEST_WINDOW) as unknown[]) {
    if (!Array.isArray(record) || !Number.isSafeInteger(record[0])) continue;
    const [rid, kind, value] = record as [number, string, unknown];
    if (kind === 'u') requests.push({ rid, settled: OUTCOME_NOT_KEPT });
    else if (typeof value !== 'string') continue;
    else if (kind === 'r') requests.push({ rid, runner: value });
    else if (kind === 't' || kind === 'b') {
      const binary = kind === 'b';
      const data = Buffer.from(value, binary ? 'base64' : 'utf8');
      requests.push({ rid, settled: decodeOutcome(parser, data, binary) });
    }
  }
  return requests.reverse();
}

function isErrorBody(error: unknown): error is KwsAckErrorBody {
  const body = error as KwsAckErrorBody | null;
  return (
    typeof body === 'object' &&
    body !== null &&
    typeof body.message === 'string' &&
    Number.isInteger(body.status)
  );
}
