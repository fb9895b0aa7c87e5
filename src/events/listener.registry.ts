import { Injectable } from '@nestjs/common';
import { KwsError } from '../errors/kws.error.js';
import { DEFAULT_ENDPOINT } from '../kws.constants.js';
import { DUPLICATE_ENDPOINT } from '../kws.messages.js';
import type { KwsListener } from './kws-event-payload.interface.js';

/** One registered listener of one event on one endpoint. */
export interface KwsListenerEntry {
  readonly listener: KwsListener;
  /** Whether a client's named-event packet may run it (`@OnKwsEvent(…, { fromClient })`). */
  readonly fromClient: boolean;
  /** The `@OnKwsEvent` method it wraps (none for `KwsServer.on`): what the AsyncAPI document reads. */
  readonly origin?: KwsListenerOrigin;
}

/** The class and method name behind a discovered listener. */
export interface KwsListenerOrigin {
  readonly type: abstract new (...args: never[]) => object;
  readonly method: string;
}

const NONE: readonly KwsListenerEntry[] = Object.freeze([]);

/**
 * Every listener of every event, per endpoint, in registration order: the one registry that
 * `@OnKwsEvent` discovery, `KwsServer.on/off`, `fire` and client packets all use. Arrays are
 * replaced, never mutated, so a dispatch in progress keeps the list it started with.
 */
@Injectable()
export class KwsListenerRegistry {
  private readonly endpoints = new Map<string, Map<string, readonly KwsListenerEntry[]>>();
  private readonly declared = new Set<string>();

  /**
   * @internal Each KwsModule endpoint declares its name once, as it is built: a second endpoint
   * of the same name (two unnamed `forRoot()`) would silently share listeners, so it fails.
   */
  declareEndpoint(name: string): void {
    if (this.declared.has(name)) throw new KwsError(DUPLICATE_ENDPOINT(name));
    this.declared.add(name);
  }

  /** The names of the endpoints the app's KwsModules declare (`''`: the unnamed one). */
  declaredEndpoints(): string[] {
    return [...this.declared];
  }

  /** Adds a listener; the same function may be added twice and then runs twice. */
  add(
    event: string,
    listener: KwsListener,
    endpoint = DEFAULT_ENDPOINT,
    fromClient = true,
    origin?: KwsListenerOrigin,
  ): void {
    const events = this.eventsOf(endpoint);
    events.set(event, [...(events.get(event) ?? NONE), { listener, fromClient, origin }]);
  }

  /** Removes one registration of `listener`, or every listener of `event` when none is given. */
  remove(event: string, listener?: KwsListener, endpoint = DEFAULT_ENDPOINT): void {
    const events = this.endpoints.get(endpoint);
    if (!events) return;
    if (!listener) {
      events.delete(event);
      return;
    }
    const current = events.get(event) ?? NONE;
    let index = -1;
    for (let i = current.length - 1; i >= 0 && index < 0; i--) {
      if (current[i].listener === listener) index = i;
    }
    if (index < 0) return;
    const next = current.filter((_, i) => i !== index);
    if (next.length) events.set(event, next);
    else events.delete(event);
  }

  /** The listeners of `event` on an endpoint (an empty shared array when there are none). */
  get(event: string, endpoint = DEFAULT_ENDPOINT): readonly KwsListenerEntry[] {
    return this.endpoints.get(endpoint)?.get(event) ?? NONE;
  }

  /** The events that have at least one listener on an endpoint. */
  events(endpoint = DEFAULT_ENDPOINT): string[] {
    return [...(this.endpoints.get(endpoint)?.keys() ?? [])];
  }

  /** The endpoint names listeners were registered for. */
  endpointNames(): string[] {
    return [...this.endpoints.keys()];
  }

  private eventsOf(endpoint: string): Map<string, readonly KwsListenerEntry[]> {
    let events = this.endpoints.get(endpoint);
    if (!events) this.endpoints.set(endpoint, (events = new Map()));
    return events;
  }
}
