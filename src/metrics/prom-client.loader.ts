import type * as PromClient from 'prom-client';
import { KwsError } from '../errors/kws.error.js';
import { PROM_CLIENT_MISSING } from '../kws.messages.js';

/** The prom-client module, loaded on first use: apps without Prometheus export never need it. */
export type PromClientModule = typeof PromClient;

export async function loadPromClient(): Promise<PromClientModule> {
  try {
    const module = (await import('prom-client')) as PromClientModule & {
      default?: PromClientModule;
    };
    // CommonJS: the named exports may sit on `default` only, depending on the loader.
    return typeof module.Counter === 'function' ? module : module.default!;
  } catch (error) {
    throw new KwsError(PROM_CLIENT_MISSING, { cause: error });
  }
}
