/** W3C trace context fields (`traceparent`, `tracestate`) for a packet's optional `trace` key. */
export type KwsTraceFields = Record<string, string>;

// Where @opentelemetry/api 1.x keeps what the app registered (its context manager and propagator):
// read from the global, so the client stays free of any import and costs nothing without OTel.
const OTEL_API = Symbol.for('opentelemetry.js.api.1');
const SETTER = {
  set(carrier: KwsTraceFields, key: string, value: string): void {
    carrier[key] = value;
  },
};

/**
 * The trace context of the packet being sent: from the `trace` option when given (`false`: never),
 * else from the active OpenTelemetry context when the page or process registered an SDK.
 */
export function traceFields(
  option: false | (() => KwsTraceFields | undefined) | undefined,
): KwsTraceFields | undefined {
  if (option === false) return undefined;
  let fields: KwsTraceFields | undefined;
  if (option) fields = option();
  else {
    const api = (globalThis as any)[OTEL_API];
    if (!api?.propagation || !api.context) return undefined;
    fields = {};
    api.propagation.inject(api.context.active(), fields, SETTER);
  }
  for (const _ in fields) return fields;
  return undefined;
}
