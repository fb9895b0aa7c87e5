import { HttpException } from '@nestjs/common';
import { WsException } from '@nestjs/websockets';
import { INTERNAL_ERROR } from '../kws.messages.js';
import type { KwsAckErrorBody } from './kws-packet.interface.js';

/**
 * What a client is told about a failed listener. Nest's exceptions speak for themselves
 * (`HttpException` keeps its status; a `WsException` is a 400 unless its error object carries a
 * `status`); anything else is a 500 "Internal error", so no message or stack leaks.
 */
export function toAckError(error: unknown): KwsAckErrorBody {
  if (error instanceof HttpException) {
    const response = error.getResponse();
    const message =
      typeof response === 'object' && response !== null && 'message' in response
        ? (response as { message: unknown }).message
        : error.message;
    return {
      message: Array.isArray(message) ? message.join('; ') : String(message),
      status: error.getStatus(),
    };
  }
  if (error instanceof WsException) {
    const inner = error.getError();
    const status =
      typeof inner === 'object' &&
      inner !== null &&
      typeof (inner as { status?: unknown }).status === 'number'
        ? (inner as { status: number }).status
        : 400;
    return { message: error.message, status };
  }
  return { message: INTERNAL_ERROR, status: 500 };
}

/** Exceptions that are answers (a guard's refusal, a failed validation), not server failures. */
export function isExpectedRejection(error: unknown): boolean {
  return error instanceof HttpException || error instanceof WsException;
}
