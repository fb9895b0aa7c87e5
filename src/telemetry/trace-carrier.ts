/**
 * Trace context as it travels in a packet's optional `trace` key (docs/protocol.md) and in cluster
 * messages: W3C `traceparent` (and `tracestate`) as string fields, what a propagator's `inject`
 * writes into an object.
 */
export type KwsTraceCarrier = Record<string, string>;

/** Whether a propagator wrote anything (no active span: it writes nothing). */
export function hasFields(carrier: KwsTraceCarrier): boolean {
  for (const _ in carrier) return true;
  return false;
}
