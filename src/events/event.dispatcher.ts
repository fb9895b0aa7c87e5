import { Logger } from '@nestjs/common';
import { isObservable, lastValueFrom } from 'rxjs';
import type { Kws } from '../connection/kws.js';
import { KwsInFlightLimitError } from '../errors/kws-in-flight-limit.error.js';
import { DEFAULT_MAX_IN_FLIGHT, KwsEvent } from '../kws.constants.js';
import {
  ERROR_LISTENER_FAILED,
  LISTENER_FAILED,
  LISTENER_FAILURES_SUPPRESSED,
} from '../kws.messages.js';
import { callListener } from '../metrics/stats.hooks.js';
import { isExpectedRejection } from './ack-error.mapper.js';
import { KwsEventPayloadImpl } from './event.payload.js';
import { FailureLogLimiter } from './failure.log-limiter.js';
import { KwsInFlightLimit } from './in-flight.limit.js';
import type { KwsListener } from './kws-event-payload.interface.js';
import type { KwsAckErrorBody } from './kws-packet.interface.js';
import { nestLogsFailures } from './listener-context.creator.js';
import type { KwsListenerEntry, KwsListenerRegistry } from './listener.registry.js';

/** How running the listeners of one event ended (see `run`). */
export interface KwsDispatchOutcome {
  /** How many listeners ran. */
  readonly listeners: number;
  /** The first value a listener returned that was not `undefined`. */
  readonly value: unknown;
  /** The first failure, in registration order (a refusal or an error). */
  readonly error: unknown;
  /** An error answer already in its wire form (a request's outcome restored on another node). */
  readonly ackError?: KwsAckErrorBody;
}

const NO_LISTENER: KwsDispatchOutcome = Object.freeze({
  listeners: 0,
  value: undefined,
  error: undefined,
});

/**
 * Runs the listeners of an event for one connection of one endpoint. A listener that throws or
 * rejects is contained: it is logged (unless it is a Nest exception, i.e. an answer such as a
 * guard's refusal), reported as an `error` event, and the other listeners still run.
 */
export class KwsEventDispatcher {
  private readonly logger = new Logger('KwsModule');
  /** One stack per failing listener and error per window, not one per message. */
  private readonly failureLogs = new FailureLogLimiter();

  /** The `maxInFlight` bound on client messages; undefined when it is `Infinity`. */
  readonly inFlight: KwsInFlightLimit | undefined;

  constructor(
    private readonly registry: KwsListenerRegistry,
    readonly endpoint: string,
    maxInFlight = DEFAULT_MAX_IN_FLIGHT,
  ) {
    this.inFlight = maxInFlight === Infinity ? undefined : new KwsInFlightLimit(maxInFlight);
  }

  /** A client's raw `message`: its listeners run unless the connection is past `maxInFlight`. */
  receiveMessage(kws: Kws, data: Buffer, isBinary: boolean): void {
    const inFlight = this.inFlight;
    if (inFlight !== undefined && !inFlight.admit(kws)) {
      this.refuseInFlight(kws, data, isBinary);
      return;
    }
    // `ws` may hand out a view into a larger read buffer: the listener gets bytes of its own.
    const settled = this.dispatch(kws, KwsEvent.Message, Buffer.from(data), isBinary);
    if (settled !== undefined) inFlight?.track(kws, settled);
  }

  /**
   * A client message that came while `maxInFlight` of its connection's were still running: counted,
   * and one `error` event per episode (until the connection has nothing in flight again).
   */
  refuseInFlight(kws: Kws, data: Buffer, isBinary: boolean): void {
    const stats = kws.context.stats;
    if (stats) stats.inFlightDrops++;
    if (this.inFlight!.firstRefusal(kws)) {
      const error = new KwsInFlightLimitError(this.inFlight!.max);
      this.dispatch(kws, KwsEvent.Error, Buffer.from(data), isBinary, error);
    }
  }

  /**
   * Fire and forget: built-in events and server-side `fire`. Returns a promise only when a
   * listener is async, settled once all have (what shutdown awaits for `disconnect`).
   */
  dispatch(
    kws: Kws,
    name: string,
    data?: unknown,
    isBinary = false,
    error: Error | null = null,
  ): Promise<unknown> | undefined {
    const entries = this.registry.get(name, this.endpoint);
    if (entries.length === 0) return undefined;
    const payload = new KwsEventPayloadImpl(kws, name, data ?? EMPTY, isBinary, error);
    let pending: Array<PromiseLike<unknown>> | undefined;
    for (const { listener } of entries) {
      try {
        const result = callListener(listener, payload);
        if (isPromiseLike(result)) {
          (pending ??= []).push(
            result.then(undefined, (failure: unknown) =>
              this.onListenerFailure(payload, listener, failure),
            ),
          );
        }
      } catch (failure) {
        this.onListenerFailure(payload, listener, failure);
      }
    }
    return pending && Promise.all(pending);
  }

  /**
   * Runs the listeners and settles once all have: what an acknowledgement or an awaited
   * `connect` needs. `fromClient` leaves out listeners kept for server-side `fire`.
   */
  run(
    kws: Kws,
    name: string,
    data: unknown,
    fromClient: boolean,
    ackId?: number,
  ): KwsDispatchOutcome | Promise<KwsDispatchOutcome> {
    const all = this.registry.get(name, this.endpoint);
    const entries = fromClient && !allFromClient(all) ? all.filter(isFromClient) : all;
    if (entries.length === 0) return NO_LISTENER;
    const payload = new KwsEventPayloadImpl(kws, name, data, false, null, ackId);
    if (entries.length === 1) return this.runOne(payload, entries[0].listener);
    return Promise.all(entries.map(({ listener }) => this.runOne(payload, listener))).then(merge);
  }

  private runOne(
    payload: KwsEventPayloadImpl,
    listener: KwsListener,
  ): KwsDispatchOutcome | Promise<KwsDispatchOutcome> {
    try {
      let result = callListener(listener, payload);
      // A plain method may return an Observable too (the pipeline already took its last value).
      if (isObservable(result)) result = lastValueFrom(result, { defaultValue: undefined });
      if (!isPromiseLike(result)) return { listeners: 1, value: result, error: undefined };
      return Promise.resolve(result).then(
        (value) => ({ listeners: 1, value, error: undefined }),
        (failure: unknown) => this.failed(payload, listener, failure),
      );
    } catch (failure) {
      return this.failed(payload, listener, failure);
    }
  }

  private failed(
    payload: KwsEventPayloadImpl,
    listener: KwsListener,
    failure: unknown,
  ): KwsDispatchOutcome {
    this.onListenerFailure(payload, listener, failure);
    return { listeners: 1, value: undefined, error: failure };
  }

  private onListenerFailure(
    payload: KwsEventPayloadImpl,
    listener: KwsListener,
    failure: unknown,
  ): void {
    const error = failure instanceof Error ? failure : new Error(describeThrown(failure));
    if (!isExpectedRejection(failure)) payload.kws.context.stats?.listenerFailed();
    if (payload.name === KwsEvent.Error) {
      // An error listener that fails would fail again on its own report.
      this.logLimited(listener, payload.name, error, ERROR_LISTENER_FAILED(payload.socketUUID));
      return;
    }
    // Nest's exceptions are answers, not failures; a pipeline's other errors are logged here,
    // through the same limiter as a plain listener's (unless this Nest logs them itself).
    if (!isExpectedRejection(failure) && !nestLogsFailures(listener)) {
      this.logLimited(
        listener,
        payload.name,
        error,
        LISTENER_FAILED(payload.name, payload.socketUUID),
      );
    }
    this.dispatch(payload.kws, KwsEvent.Error, payload.data, payload.isBinary, error);
  }

  private logLimited(listener: KwsListener, event: string, error: Error, message: string): void {
    const logged = this.failureLogs.admit(listener, error, (count) =>
      this.logger.error(LISTENER_FAILURES_SUPPRESSED(event, count, this.failureLogs.windowSeconds)),
    );
    if (logged) this.logger.error(message, error.stack);
  }
}

const EMPTY = Buffer.alloc(0);

function isFromClient(entry: KwsListenerEntry): boolean {
  return entry.fromClient;
}

/** The usual case, checked without making a filtered copy per message. */
function allFromClient(entries: readonly KwsListenerEntry[]): boolean {
  for (let i = 0; i < entries.length; i++) if (!entries[i].fromClient) return false;
  return true;
}

function merge(outcomes: KwsDispatchOutcome[]): KwsDispatchOutcome {
  let value: unknown;
  let error: unknown;
  for (const outcome of outcomes) {
    if (value === undefined) value = outcome.value;
    if (error === undefined) error = outcome.error;
  }
  return { listeners: outcomes.length, value, error };
}

export function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as PromiseLike<unknown>).then === 'function'
  );
}

/** What a listener threw when it is not an Error; never throws itself (a hostile `toString`). */
function describeThrown(value: unknown): string {
  try {
    return String(value);
  } catch {
    return typeof value;
  }
}
