import type { KwsClientError } from './kws-client.error.js';

/** A request waiting for its acknowledgement (the core client's and the channel client's). */
export interface KwsPendingAck {
  /** The request's event, named in its errors. */
  event: string;
  resolve(data: unknown): void;
  reject(error: KwsClientError): void;
  timer: ReturnType<typeof setTimeout>;
  /** Written to a socket (an answer may still come); false while only queued. */
  sent?: boolean;
}

/**
 * Ends request `id` once: removed from `pending`, its timer cleared, then rejected with `error` or
 * resolved with `data`. An id no longer pending (answered, timed out) is ignored.
 */
export function settlePending(
  pending: Map<number, KwsPendingAck>,
  id: number,
  error?: KwsClientError,
  data?: unknown,
): void {
  const request = pending.get(id);
  if (!request) return;
  pending.delete(id);
  clearTimeout(request.timer);
  if (error) request.reject(error);
  else request.resolve(data);
}
