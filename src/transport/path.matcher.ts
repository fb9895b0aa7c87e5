/** Route params captured from the upgrade URL, e.g. `{ id: '42' }` for `/ws/:id`. */
export type KwsRouteParams = Record<string, string>;

/**
 * Matches a request path against a pattern with `:name` segments. Returns the params, or
 * undefined when the path is not the endpoint's (such upgrades are left to other listeners).
 */
export type PathMatcher = (pathname: string) => KwsRouteParams | undefined;

/** Shared by every connection whose path has no params (frozen: nobody may add to it). */
const NO_PARAMS: KwsRouteParams = Object.freeze({}) as KwsRouteParams;

export function compilePath(pattern: string): PathMatcher {
  const segments = split(pattern);
  if (!segments.some((segment) => segment.startsWith(':'))) {
    // A static path: one string comparison (empty segments ignored, as below), no allocation.
    const canonical = '/' + segments.join('/');
    return (pathname) =>
      pathname === canonical || split(pathname).join('/') === canonical.slice(1)
        ? NO_PARAMS
        : undefined;
  }
  return (pathname) => {
    const parts = split(pathname);
    if (parts.length !== segments.length) return undefined;
    const params: KwsRouteParams = {};
    for (let i = 0; i < segments.length; i++) {
      const segment = segments[i];
      if (segment.startsWith(':')) {
        const value = safeDecode(parts[i]);
        if (value === undefined || value === '') return undefined;
        params[segment.slice(1)] = value;
      } else if (segment !== parts[i]) {
        return undefined;
      }
    }
    return params;
  };
}

function split(path: string): string[] {
  return path.split('/').filter((part) => part !== '');
}

function safeDecode(value: string): string | undefined {
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}
