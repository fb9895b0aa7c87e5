import type { TextMapGetter } from '@opentelemetry/api';

/** Longer values are not trace context (W3C `tracestate` is at most 512 characters). */
const MAX_VALUE = 512;

function isCarrier(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Reads a carrier that came from the wire: anything that is not an object of short strings reads
 * as empty (the event still runs, in a trace of its own), never as an error.
 */
export const WIRE_GETTER: TextMapGetter<unknown> = {
  keys: (carrier) => (isCarrier(carrier) ? Object.keys(carrier) : []),
  get(carrier, key) {
    if (!isCarrier(carrier) || !Object.hasOwn(carrier, key)) return undefined;
    const value = carrier[key];
    return typeof value === 'string' && value.length <= MAX_VALUE ? value : undefined;
  },
};
