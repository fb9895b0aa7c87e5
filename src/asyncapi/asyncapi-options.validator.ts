import { KwsError } from '../errors/kws.error.js';
import { INVALID_OPTION } from '../kws.messages.js';
import type { KwsAsyncApiOptions } from './asyncapi-options.interface.js';

/** Checks `asyncapi` at bootstrap: `true`, `false`, or an object whose fields have the right shape. */
export function validateAsyncApiOptions(asyncapi: unknown): void {
  if (asyncapi === undefined || typeof asyncapi === 'boolean') return;
  if (typeof asyncapi !== 'object' || asyncapi === null || Array.isArray(asyncapi)) {
    throw new KwsError(INVALID_OPTION('asyncapi', asyncapi, 'a boolean or an object'));
  }
  const { path, title, version, description } = asyncapi as KwsAsyncApiOptions;
  if (
    path !== undefined &&
    (typeof path !== 'string' || !/^\/[^?#\s]*\.json$/.test(path) || path.includes('//'))
  ) {
    throw new KwsError(
      INVALID_OPTION('asyncapi.path', path, "a URL path starting with '/' and ending in '.json'"),
    );
  }
  for (const [key, value] of Object.entries({ title, version, description })) {
    if (value !== undefined && (typeof value !== 'string' || value.trim() === '')) {
      throw new KwsError(INVALID_OPTION(`asyncapi.${key}`, value, 'a non-empty string'));
    }
  }
}
