import { MAX_ACK_ERROR_MESSAGE_LENGTH } from '../kws.constants.js';
import type { KwsAckErrorBody } from './kws-packet.interface.js';

/** The status an error ack gets when the peer's own is missing or not a sane one. */
const DEFAULT_STATUS = 500;

/**
 * Reads the `error` of a peer's error acknowledgement as hostile: `message` only if it is a string
 * (cut to MAX_ACK_ERROR_MESSAGE_LENGTH characters), `status` only if it is an integer from 100 to
 * 599. Anything else (an object with a broken `toString`, a number, 1e308) reads as the default,
 * so no value from the wire can throw here.
 */
export function readAckError(error: unknown): KwsAckErrorBody {
  const body =
    typeof error === 'object' && error !== null ? (error as Record<string, unknown>) : {};
  const { message, status } = body;
  return {
    message:
      typeof message === 'string' && message !== ''
        ? message.slice(0, MAX_ACK_ERROR_MESSAGE_LENGTH)
        : 'Error',
    status:
      typeof status === 'number' && Number.isInteger(status) && status >= 100 && status <= 599
        ? status
        : DEFAULT_STATUS,
  };
}
