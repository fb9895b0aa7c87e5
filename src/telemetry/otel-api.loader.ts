import type * as OtelApi from '@opentelemetry/api';
import { KwsError } from '../errors/kws.error.js';
import { OTEL_API_MISSING } from '../kws.messages.js';

/** The @opentelemetry/api module, loaded at bootstrap when `tracing: true`: nothing imports it before. */
export type OtelApiModule = typeof OtelApi;

export async function loadOtelApi(): Promise<OtelApiModule> {
  try {
    const module = (await import('@opentelemetry/api')) as OtelApiModule & {
      default?: OtelApiModule;
    };
    // CommonJS: the named exports may sit on `default` only, depending on the loader.
    return typeof module.trace?.getTracer === 'function' ? module : module.default!;
  } catch (error) {
    throw new KwsError(OTEL_API_MISSING, { cause: error });
  }
}
