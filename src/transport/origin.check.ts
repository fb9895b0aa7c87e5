import type { IncomingMessage } from 'node:http';
import { KwsError } from '../errors/kws.error.js';
import { INVALID_OPTION, ORIGIN_NOT_LISTED, ORIGIN_NOT_SAME_HOST } from '../kws.messages.js';
import { clientAddress, type KwsTrustProxy } from './proxy.trust.js';

/** The `origins` option as a predicate: the `Origin` header (if any) and the upgrade request. */
export type KwsOriginPredicate = (origin: string | undefined, request: IncomingMessage) => boolean;

/** Why an upgrade's `Origin` is refused (a log line), or `undefined` when it may go on. */
export type OriginCheck = (request: IncomingMessage) => string | undefined;

const EXPECTED =
  'an array of origins like "https://app.example.com", or a function (origins: () => true accepts any origin)';
const DEFAULT_PORTS: Record<string, number> = { 'http:': 80, 'https:': 443 };
// A Host header is host[:port]: a bracketed IPv6 address or a registered name, nothing else
// (no userinfo, path or spaces that a URL parser would quietly read around).
const HOST_HEADER = /^(\[[0-9a-f:.]+\]|[a-z0-9._~!$&'()*+,;=%-]+)(?::(\d{1,5}))?$/i;

/**
 * Compiles the `origins` option.
 * - absent (the default): same host only, as Phoenix's `check_origin`. A browser's `Origin` must
 *   name the host the request was sent to (`Host`, or `X-Forwarded-Host` from a proxy that
 *   `trustProxy` trusts): host and port are compared, not the scheme (TLS often ends at a proxy).
 *   Requests without `Origin` (non-browser clients) pass: a cross-site page cannot leave it out.
 * - a list: compared exactly, after normalising both sides to `scheme://host[:port]` (case,
 *   default port); a request without `Origin` is refused.
 * - a function: its `true` accepts (`() => true` accepts any origin: an explicit opt-out).
 * Anything else fails at bootstrap (a string from a config service is not split or matched as a
 * substring).
 */
export function compileOrigins(origins: unknown, trust?: KwsTrustProxy): OriginCheck {
  if (origins === undefined) return (request) => sameHost(request, trust);
  if (typeof origins === 'function') {
    const predicate = origins as KwsOriginPredicate;
    return (request) =>
      predicate(request.headers.origin, request) === true
        ? undefined
        : ORIGIN_NOT_LISTED(request.headers.origin);
  }
  if (!Array.isArray(origins)) throw new KwsError(INVALID_OPTION('origins', origins, EXPECTED));
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
  return (request) => {
    const { origin } = request.headers;
    const normal = origin === undefined ? undefined : normalise(origin);
    return normal !== undefined && allowed.has(normal) ? undefined : ORIGIN_NOT_LISTED(origin);
  };
}

/** The default: no `Origin`, or one whose host[:port] is the host the request was sent to. */
function sameHost(request: IncomingMessage, trust: KwsTrustProxy | undefined): string | undefined {
  const { origin } = request.headers;
  if (origin === undefined) return undefined;
  const host = requestHost(request, trust);
  const target = host === undefined ? undefined : parseHost(host);
  const source = parseOrigin(origin);
  if (target && source && target.hostname === source.hostname) {
    // A Host without a port was sent to the scheme's default port: the Origin's must be one too.
    if (target.port === undefined ? source.defaultPort : target.port === source.port) {
      return undefined;
    }
  }
  return ORIGIN_NOT_SAME_HOST(origin, host);
}

/** `Host`, or the first `X-Forwarded-Host` when the socket's peer is a trusted proxy (Express). */
function requestHost(
  request: IncomingMessage,
  trust: KwsTrustProxy | undefined,
): string | undefined {
  const forwarded = request.headers['x-forwarded-host'];
  if (trust && typeof forwarded === 'string' && forwarded !== '') {
    const peer = clientAddress(request.socket.remoteAddress ?? '', undefined, undefined);
    if (trust(peer, 0)) return forwarded.split(',')[0].trim();
  }
  return request.headers.host;
}

function parseHost(value: string): { hostname: string; port?: number } | undefined {
  const match = HOST_HEADER.exec(value.trim());
  if (!match) return undefined;
  const hostname = hostnameOf(`http://${match[1]}`);
  if (hostname === undefined) return undefined;
  return { hostname, port: match[2] === undefined ? undefined : Number(match[2]) };
}

function parseOrigin(
  origin: string,
): { hostname: string; port: number; defaultPort: boolean } | undefined {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return undefined;
  }
  const defaultPort = DEFAULT_PORTS[url.protocol];
  if (defaultPort === undefined || url.username || url.password) return undefined;
  // URL drops a default port: `https://a.example:443` has port ''.
  const port = url.port === '' ? defaultPort : Number(url.port);
  return { hostname: url.hostname, port, defaultPort: url.port === '' };
}

/** Lower case, IDNA and IPv6 compressed, as the URL parser writes them. */
function hostnameOf(url: string): string | undefined {
  try {
    return new URL(url).hostname || undefined;
  } catch {
    return undefined;
  }
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
