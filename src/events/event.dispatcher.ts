import { Injectable, Logger } from '@nestjs/common';
import type { Kws } from '../connection/kws.js';
import { KwsEvent } from '../kws.constants.js';
import { ERROR_LISTENER_FAILED, LISTENER_FAILED } from '../kws.messages.js';
import { KwsEventPayloadImpl } from './event.payload.js';
import { KwsListenerRegistry } from './listener.registry.js';

const NO_DATA = Buffer.alloc(0);

/**
 * Runs the listeners of an event for one connection. A listener that throws or rejects is
 * contained: it is logged, reported as an `error` event, and the other listeners still run.
 */
@Injectable()
export class KwsEventDispatcher {
  private readonly logger = new Logger('KwsModule');

  constructor(private readonly registry: KwsListenerRegistry) {}

  dispatch(
    kws: Kws,
    name: string,
    data: Buffer = NO_DATA,
    isBinary = false,
    error: Error | null = null,
  ): void {
    const listeners = this.registry.get(name);
    if (listeners.length === 0) return;
    const payload = new KwsEventPayloadImpl(kws, name, data, isBinary, error);
    for (const listener of listeners) {
      try {
        const result = listener(payload);
        if (isPromiseLike(result)) {
          result.then(undefined, (failure: unknown) => this.onListenerFailure(payload, failure));
        }
      } catch (failure) {
        this.onListenerFailure(payload, failure);
      }
    }
  }

  private onListenerFailure(payload: KwsEventPayloadImpl, failure: unknown): void {
    const error = failure instanceof Error ? failure : new Error(String(failure));
    if (payload.name === KwsEvent.Error) {
      // An error listener that fails would fail again on its own report.
      this.logger.error(ERROR_LISTENER_FAILED(payload.socketUUID), error.stack);
      return;
    }
    this.logger.error(LISTENER_FAILED(payload.name, payload.socketUUID), error.stack);
    this.dispatch(payload.kws, KwsEvent.Error, payload.data, payload.isBinary, error);
  }
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as PromiseLike<unknown>).then === 'function'
  );
}
