import {
  KWS_ENDPOINT_METADATA,
  KWS_LISTENER_METADATA,
  type KwsBuiltInEvent,
} from '../kws.constants.js';
import type { KwsEventName, KwsEventsOr } from './kws-event-map.types.js';

/**
 * What `@OnKwsEvent<ClientEvents>(…)` accepts: a built-in event, or an event of the map (a typo
 * does not compile). Without a map, any string.
 */
export type KwsListenable<Listen> = KwsBuiltInEvent | KwsEventName<KwsEventsOr<Listen>>;

/** Options of `@OnKwsEvent`. */
export interface OnKwsEventOptions {
  /**
   * The endpoint (`forRoot({ name })`) whose connections this listener serves. Default: the
   * class's `@OnKwsEndpoint`, else the unnamed endpoint.
   */
  endpoint?: string;
  /**
   * Whether a client may trigger this event with a named-event packet. Default true; false keeps
   * it for server-side `fire` only (clients then get the same 404 as for an unknown event).
   */
  fromClient?: boolean;
}

/** @internal What `@OnKwsEvent` stores on a method. */
export interface KwsListenerMetadata {
  event: string;
  endpoint?: string;
  fromClient: boolean;
}

/**
 * Marks a method of a provider or controller as a listener of one or more kws events
 * (`KwsEvent.*` or any custom name). Several methods may listen to the same event. The method
 * runs through Nest's pipeline: guards, interceptors, pipes and exception filters apply, and
 * `@MessageBody()`, `@ConnectedSocket()` and `@KwsPayload()` pick its arguments.
 */
export function OnKwsEvent<Listen extends object = object>(
  event: KwsListenable<Listen> | readonly KwsListenable<Listen>[],
  options: OnKwsEventOptions = {},
): MethodDecorator {
  const events = typeof event === 'string' ? [event] : [...event];
  const entries: KwsListenerMetadata[] = events.map((name) => ({
    event: name,
    endpoint: options.endpoint,
    fromClient: options.fromClient ?? true,
  }));
  return (_target, _key, descriptor) => {
    const method = descriptor.value as object;
    const previous: KwsListenerMetadata[] =
      Reflect.getMetadata(KWS_LISTENER_METADATA, method) ?? [];
    Reflect.defineMetadata(KWS_LISTENER_METADATA, [...previous, ...entries], method);
    return descriptor;
  };
}

/** Puts every `@OnKwsEvent` of a class on the named endpoint (`forRoot({ name })`). */
export function OnKwsEndpoint(name: string): ClassDecorator {
  return (target) => {
    Reflect.defineMetadata(KWS_ENDPOINT_METADATA, name, target);
  };
}
