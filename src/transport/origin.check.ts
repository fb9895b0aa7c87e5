import { KwsError } from '../errors/kws.error.js';
import { INVALID_OPTION } from '../kws.messages.js';

/** Whether an `Origin` header value is allowed. */
export type OriginCheck = (origin: string | undefined) => boolean;

/**
 * Compiles the `origins` option. A list is compared exactly, after normalising both sides to
 * `scheme://host[:port]` (case, default port): `https://app.example.co` is not
 * `https://app.example.com`, and a request without `Origin` is refused. Anything but a list of
 * origins or a predicate fails at bootstrap (a string from a config service is not split or
 * matched as a substring).
 */
export function compileOrigins(origins: unknown): OriginCheck {
  if (origins === undefined) return () => true;
  if (typeof origins === 'function') {
    return (origin) => (origins as OriginCheck)(origin) === true;
  }
  if (!Array.isArray(origins)) {
    throw new KwsError(
      INVALID_OPTION(
        'origins',
        origins,
        'an array of origins like "https://app.example.com", or a function',
      ),
    );
  }
  const allowed = new Set<string>();
  for (const entry of origins) {
    const normal = typeof entry === 'string' ? normalise(entry) : undefined;
    if (!normal) {
      throw new KwsError(
        INVALID_OPTION(
          'origins',
          entry,
          'a list of origins like "https://app.example.com" (scheme://host[:port])',
        ),
      );
    }
    allowed.add(normal);
  }
  return (origin) => {
    if (origin === undefined) return false;
    const normal = normalise(origin);
    return normal !== undefined && allowed.has(normal);
  };
}

function normalise(origin: string): string | undefined {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return undefined;
  }
  if (url.origin === 'null' || url.username || url.password) return undefined;
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash) return undefined;
  return url.origin;
}
