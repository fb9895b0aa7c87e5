import type { Attributes, Span, Tracer } from '@opentelemetry/api';
import { KwsState, type Kws } from '../connection/kws.js';
import { isExpectedRejection, toAckError } from '../events/ack-error.mapper.js';
import type { KwsDispatchOutcome } from '../events/event.dispatcher.js';
import type { OtelApiModule } from './otel-api.loader.js';
import {
  ATTR_ERROR_TYPE,
  ATTR_KWS_ACK_STATUS,
  ATTR_KWS_CLOSE_CODE,
  ATTR_KWS_CONNECTION,
  ATTR_KWS_ENDPOINT,
  ATTR_KWS_LISTENERS,
  ATTR_KWS_OUTCOME,
  ATTR_KWS_RESUME,
  ATTR_MESSAGING_DESTINATION_NAME,
  ATTR_MESSAGING_MESSAGE_BODY_SIZE,
  ATTR_MESSAGING_MESSAGE_ID,
  ATTR_MESSAGING_OPERATION_NAME,
  ATTR_MESSAGING_OPERATION_TYPE,
  ATTR_MESSAGING_SYSTEM,
  MESSAGING_SYSTEM,
  TRACER_NAME,
} from './semconv.js';
import type { KwsTracerHooks } from './tracer.hooks.js';
import { WIRE_GETTER } from './wire.getter.js';

type Outcome = KwsDispatchOutcome | Promise<KwsDispatchOutcome>;

/**
 * The spans of one endpoint (`tracing: true`), built on the @opentelemetry/api module loaded at
 * bootstrap. Each method is called from one hook in the code it traces, only while tracing is on
 * (`kws.context.tracer !== undefined`): with tracing off nothing here runs.
 */
export class KwsTracer implements KwsTracerHooks {
  private readonly tracer: Tracer;
  /** Connect spans of connections whose `connect` (or resume checks) is deciding. */
  private readonly connecting = new WeakMap<Kws, Span>();

  constructor(
    private readonly api: OtelApiModule,
    /** The endpoint's name ('' for the unnamed one) and its path template (`/ws/:id`). */
    private readonly endpoint: string,
    private readonly path: string,
  ) {
    this.tracer = api.trace.getTracer(TRACER_NAME);
  }

  /** A socket passed the upgrade gate: a SERVER span until `connect` decided (see `decided`). */
  opening(kws: Kws, resume: boolean): void {
    this.connecting.get(kws)?.end();
    const span = this.tracer.startSpan(`connect ${this.path}`, {
      kind: this.api.SpanKind.SERVER,
      attributes: {
        [ATTR_KWS_ENDPOINT]: this.endpoint,
        [ATTR_KWS_CONNECTION]: kws.uuid,
        [ATTR_KWS_RESUME]: resume,
      },
    });
    this.connecting.set(kws, span);
  }

  /** Runs `connect` listeners inside the connect span, so their own spans are its children. */
  inConnect<T>(kws: Kws, run: () => T): T {
    const span = this.connecting.get(kws);
    if (span === undefined) return run();
    return this.api.context.with(this.api.trace.setSpan(this.api.context.active(), span), run);
  }

  /**
   * The decision: accepted (`code` 0), or refused with its close code. A connection no longer
   * opening was refused meanwhile (`close()` in a listener, cut, or the server shutting down).
   */
  decided(kws: Kws, code: number): void {
    const span = this.connecting.get(kws);
    if (span === undefined) return;
    this.connecting.delete(kws);
    if (kws.state !== KwsState.Opening) span.setAttribute(ATTR_KWS_OUTCOME, 'refused');
    else if (code === 0) span.setAttribute(ATTR_KWS_OUTCOME, 'accepted');
    else {
      span.setAttributes({ [ATTR_KWS_OUTCOME]: 'refused', [ATTR_KWS_CLOSE_CODE]: code });
      // 1011: a listener threw; 1008 (a guard's answer) and 1013 (timeout) are not server faults.
      if (code === 1011) {
        span.setStatus({ code: this.api.SpanStatusCode.ERROR, message: 'connect failed' });
      }
    }
    span.end();
  }

  /**
   * A client's event packet: a CONSUMER `process` span around its listeners (child of the
   * client's trace when the packet carried one), ended once the listeners settled, with the
   * acknowledgement's status when the packet asked for one.
   */
  event(
    kws: Kws,
    event: string,
    ackId: number | undefined,
    carrier: unknown,
    bytes: number,
    run: () => Outcome,
  ): Outcome {
    const api = this.api;
    const active = api.context.active();
    const parent =
      carrier === undefined ? active : api.propagation.extract(active, carrier, WIRE_GETTER);
    const attributes: Attributes = {
      [ATTR_MESSAGING_SYSTEM]: MESSAGING_SYSTEM,
      [ATTR_MESSAGING_OPERATION_TYPE]: 'process',
      [ATTR_MESSAGING_OPERATION_NAME]: 'process',
      [ATTR_MESSAGING_DESTINATION_NAME]: event,
      [ATTR_MESSAGING_MESSAGE_BODY_SIZE]: bytes,
      [ATTR_KWS_ENDPOINT]: this.endpoint,
      [ATTR_KWS_CONNECTION]: kws.uuid,
    };
    if (ackId !== undefined) attributes[ATTR_MESSAGING_MESSAGE_ID] = String(ackId);
    const span = this.tracer.startSpan(
      `process ${event}`,
      { kind: api.SpanKind.CONSUMER, attributes },
      parent,
    );
    let outcome: Outcome;
    try {
      outcome = api.context.with(api.trace.setSpan(parent, span), run);
    } catch (error) {
      this.failed(span, error);
      throw error;
    }
    if (outcome instanceof Promise) {
      outcome.then(
        (settled) => this.processed(span, settled, ackId),
        (error: unknown) => this.failed(span, error),
      );
    } else this.processed(span, outcome, ackId);
    return outcome;
  }

  /**
   * `kws.request`: a CLIENT span (its context does not travel to the client) from the packet
   * written to the client's acknowledgement, its error, the timeout or the connection's end.
   */
  request(kws: Kws, event: string, id: number, answer: Promise<unknown>): void {
    const span = this.tracer.startSpan(`send ${event}`, {
      kind: this.api.SpanKind.CLIENT,
      attributes: {
        [ATTR_MESSAGING_SYSTEM]: MESSAGING_SYSTEM,
        [ATTR_MESSAGING_OPERATION_TYPE]: 'send',
        [ATTR_MESSAGING_OPERATION_NAME]: 'request',
        [ATTR_MESSAGING_DESTINATION_NAME]: event,
        [ATTR_MESSAGING_MESSAGE_ID]: String(id),
        [ATTR_KWS_ENDPOINT]: this.endpoint,
        [ATTR_KWS_CONNECTION]: kws.uuid,
      },
    });
    answer.then(
      () => {
        span.setAttribute(ATTR_KWS_ACK_STATUS, 200);
        span.end();
      },
      (error: unknown) => this.failed(span, error),
    );
  }

  /**
   * `KwsServer.request` to a connection of another node: a CLIENT span around the cluster round
   * trip; the holding node's spans are its descendants (the context travels in the cluster message).
   */
  remoteRequest<T>(uuid: string, event: string, call: () => Promise<T>): Promise<T> {
    const api = this.api;
    const active = api.context.active();
    const span = this.tracer.startSpan(
      `send ${event}`,
      {
        kind: api.SpanKind.CLIENT,
        attributes: {
          [ATTR_MESSAGING_SYSTEM]: MESSAGING_SYSTEM,
          [ATTR_MESSAGING_OPERATION_TYPE]: 'send',
          [ATTR_MESSAGING_OPERATION_NAME]: 'request',
          [ATTR_MESSAGING_DESTINATION_NAME]: event,
          [ATTR_KWS_ENDPOINT]: this.endpoint,
          [ATTR_KWS_CONNECTION]: uuid,
        },
      },
      active,
    );
    let result: Promise<T>;
    try {
      result = api.context.with(api.trace.setSpan(active, span), call);
    } catch (error) {
      this.failed(span, error);
      throw error;
    }
    result.then(
      () => {
        span.setAttribute(ATTR_KWS_ACK_STATUS, 200);
        span.end();
      },
      (error: unknown) => this.failed(span, error),
    );
    return result;
  }

  private processed(span: Span, outcome: KwsDispatchOutcome, ackId: number | undefined): void {
    span.setAttribute(ATTR_KWS_LISTENERS, outcome.listeners);
    if (outcome.listeners === 0) {
      // Unknown event names come from the client: keep them out of the span name.
      span.updateName('process (unknown event)');
      if (ackId !== undefined) span.setAttribute(ATTR_KWS_ACK_STATUS, 404);
    } else if (outcome.error !== undefined) {
      const status = toAckError(outcome.error).status;
      if (ackId !== undefined) span.setAttribute(ATTR_KWS_ACK_STATUS, status);
      // A Nest exception (a guard's 403, a pipe's 400) is an answer; anything else a failure.
      if (!isExpectedRejection(outcome.error)) this.markFailed(span, outcome.error);
    } else if (ackId !== undefined) {
      span.setAttribute(ATTR_KWS_ACK_STATUS, 200);
    }
    span.end();
  }

  private failed(span: Span, error: unknown): void {
    const status = (error as { status?: unknown } | undefined)?.status;
    if (typeof status === 'number') span.setAttribute(ATTR_KWS_ACK_STATUS, status);
    this.markFailed(span, error);
    span.end();
  }

  private markFailed(span: Span, error: unknown): void {
    const failure = error instanceof Error ? error : new Error(String(error));
    span.recordException(failure);
    span.setAttribute(ATTR_ERROR_TYPE, failure.name);
    span.setStatus({ code: this.api.SpanStatusCode.ERROR, message: failure.message });
  }
}
