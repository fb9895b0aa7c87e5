import { UNKNOWN_EVENT } from '../kws.messages.js';
import { toAckError } from './ack-error.mapper.js';
import type { KwsDispatchOutcome } from './event.dispatcher.js';
import type { KwsAckErrorBody } from './kws-packet.interface.js';

/** The error acknowledgement of an event no listener handles. */
export const NOT_FOUND = Object.freeze({ message: UNKNOWN_EVENT, status: 404 });

/**
 * The acknowledgement of an event's outcome, without its id: `{ data }` (a value), `{ error }`, or
 * `{}` (no value). Also what travels with a session to answer a retry on another node.
 */
export function ackBodyOf(outcome: KwsDispatchOutcome): {
  data?: unknown;
  error?: KwsAckErrorBody;
} {
  if (outcome.ackError !== undefined) return { error: outcome.ackError };
  if (outcome.listeners === 0) return { error: NOT_FOUND };
  if (outcome.error !== undefined) return { error: toAckError(outcome.error) };
  return outcome.value === undefined ? {} : { data: outcome.value };
}
