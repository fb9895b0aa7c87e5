import type {
  KwsAnyEvents,
  KwsEventArgs,
  KwsEventData,
  KwsEventName,
  KwsEventReply,
} from '../client/kws-events.types.js';
import type { KwsData } from '../connection/outbound.message.js';

// The event maps the shipped client uses type the server too: one interface per direction.
export type { KwsAnyEvents, KwsEventData, KwsEventName, KwsEventReply };

/**
 * `M` itself, or any event when `M` names none: `app.get(KwsServer)` infers `KwsServer<object>`,
 * which must stay as loose as the untyped server.
 */
export type KwsEventsOr<M> = [keyof M] extends [never] ? KwsAnyEvents : M;

/** The packet of event `E` of map `M`: `{ event, data }`, `data` typed (absent for no payload). */
export type KwsPacketOf<M, E extends KwsEventName<M>> =
  [] extends KwsEventArgs<M[E]>
    ? { event: E; data?: KwsEventData<M[E]> }
    : { event: E; data: KwsEventData<M[E]> };

/** Any packet of map `M`: a wrong event name or payload does not compile. */
export type KwsPacketIn<M> = { [E in KwsEventName<M>]: KwsPacketOf<M, E> }[KwsEventName<M>];

/** What a sending method takes with event map `M`: raw data, or one of `M`'s packets. */
export type KwsMessageOf<M> = KwsData | KwsPacketIn<KwsEventsOr<M>>;
