import type { Attributes, Tracer } from '@opentelemetry/api';
import type { ClusterMessage } from '../cluster/messages/cluster-message.js';
import type { OtelApiModule } from './otel-api.loader.js';
import {
  ATTR_KWS_NODE,
  ATTR_MESSAGING_DESTINATION_NAME,
  ATTR_MESSAGING_OPERATION_NAME,
  ATTR_MESSAGING_OPERATION_TYPE,
  ATTR_MESSAGING_SYSTEM,
  MESSAGING_SYSTEM,
  TRACER_NAME,
} from './semconv.js';
import { hasFields, type KwsTraceCarrier } from './trace-carrier.js';
import { WIRE_GETTER } from './wire.getter.js';

/**
 * Set on the type byte (the second byte) of a cluster message that ends with a trace trailer:
 * `<message><carrier JSON><u16 length of the JSON>`. A separate optional field after the payload,
 * so the message's own layout does not change.
 */
export const TRACED_FLAG = 0x80;

/** Cluster messages that carry trace context, and their `messaging.operation.name`. */
const OPERATIONS: Partial<Record<number, string>> = {
  1: 'broadcast',
  2: 'fire',
  4: 'emitTo',
  5: 'emitToList',
  9: 'request',
};

/**
 * The cross-node hop: the sending node stamps a cluster message with the context of a PRODUCER
 * `create` span; the receiving node delivers it inside a CONSUMER `process` span whose parent is
 * that span. One per process (OpenTelemetry's API is process-wide too), set while an endpoint
 * traces.
 */
export class KwsClusterHop {
  private readonly tracer: Tracer;

  constructor(private readonly api: OtelApiModule) {
    this.tracer = api.trace.getTracer(TRACER_NAME);
  }

  /** Appends the trace trailer to an encoded message (unchanged when there is nothing to carry). */
  stamp(message: ClusterMessage, encoded: Buffer): Buffer {
    const operation = OPERATIONS[message.type];
    if (operation === undefined) return encoded;
    const api = this.api;
    const parent = api.context.active();
    const span = this.tracer.startSpan(
      `create ${operation}`,
      { kind: api.SpanKind.PRODUCER, attributes: this.attributes(message, operation, 'create') },
      parent,
    );
    const carrier: KwsTraceCarrier = {};
    api.propagation.inject(api.trace.setSpan(parent, span), carrier);
    span.end();
    return hasFields(carrier) ? appendTraceTrailer(encoded, carrier) : encoded;
  }

  /** Delivers a stamped message inside a `process` span, child of the sender's `create` span. */
  process(message: ClusterMessage, carrier: KwsTraceCarrier, deliver: () => void): void {
    const operation = OPERATIONS[message.type];
    if (operation === undefined) return deliver();
    const api = this.api;
    const parent = api.propagation.extract(api.ROOT_CONTEXT, carrier, WIRE_GETTER);
    const span = this.tracer.startSpan(
      `process ${operation}`,
      { kind: api.SpanKind.CONSUMER, attributes: this.attributes(message, operation, 'process') },
      parent,
    );
    try {
      api.context.with(api.trace.setSpan(parent, span), deliver);
    } catch (error) {
      span.recordException(error as Error);
      span.setStatus({ code: api.SpanStatusCode.ERROR });
      throw error;
    } finally {
      span.end();
    }
  }

  private attributes(message: ClusterMessage, operation: string, type: string): Attributes {
    const attributes: Attributes = {
      [ATTR_MESSAGING_SYSTEM]: MESSAGING_SYSTEM,
      [ATTR_MESSAGING_OPERATION_TYPE]: type,
      [ATTR_MESSAGING_OPERATION_NAME]: operation,
    };
    if ('origin' in message) attributes[ATTR_KWS_NODE] = message.origin;
    if ('room' in message && message.room) {
      attributes[ATTR_MESSAGING_DESTINATION_NAME] = message.room;
    }
    return attributes;
  }
}

/** What the codec asks (`hop` is set while some endpoint of the process traces). */
export const clusterTracing: { hop: KwsClusterHop | undefined } = { hop: undefined };
let holders = 0;

/** An endpoint with `tracing: true` started: cluster messages carry trace context. */
export function holdClusterHop(api: OtelApiModule): void {
  holders++;
  clusterTracing.hop ??= new KwsClusterHop(api);
}

/** That endpoint stopped; the last one out turns the hop off. */
export function releaseClusterHop(): void {
  if (holders > 0 && --holders === 0) clusterTracing.hop = undefined;
}

export function appendTraceTrailer(encoded: Buffer, carrier: KwsTraceCarrier): Buffer {
  const json = Buffer.from(JSON.stringify(carrier));
  if (json.length > 0xffff) return encoded;
  const length = Buffer.allocUnsafe(2);
  length.writeUInt16BE(json.length);
  const traced = Buffer.concat([encoded, json, length]);
  traced[1] |= TRACED_FLAG;
  return traced;
}

/**
 * Splits a stamped message into the message as it was encoded (a view, the type byte still
 * flagged: the decoder masks it) and its carrier. Throws on a trailer that does not fit (the
 * codec reports such a message as unreadable).
 */
export function splitTraceTrailer(buffer: Buffer): { body: Buffer; carrier: KwsTraceCarrier } {
  const end = buffer.length - 2;
  const length = end >= 2 ? buffer.readUInt16BE(end) : -1;
  if (length < 0 || length > end - 2) throw new RangeError('Malformed trace trailer');
  const carrier = JSON.parse(buffer.toString('utf8', end - length, end)) as KwsTraceCarrier;
  return { body: buffer.subarray(0, end - length), carrier };
}
