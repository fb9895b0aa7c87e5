import type { Kws } from '../connection/kws.js';
import type { KwsEventPayload } from './kws-event-payload.interface.js';

/**
 * The arguments a listener's Nest pipeline sees: the shape of Nest's `ws` context, so
 * `switchToWs().getClient()` is the `Kws`, `getData()` the event's data and `getPattern()` (the
 * last argument) the event name. The payload object rides in between for `@KwsPayload()`.
 */
export type KwsListenerArgs = [client: Kws, data: unknown, payload: KwsEventPayload, event: string];

export const PAYLOAD_ARG_INDEX = 2;

export function listenerArgs(payload: KwsEventPayload): KwsListenerArgs {
  return [payload.kws, payload.data, payload, payload.name];
}
