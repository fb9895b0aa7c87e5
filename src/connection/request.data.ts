import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { KwsRouteParams } from '../transport/path.matcher.js';
import { clientAddress, type KwsTrustProxy } from '../transport/proxy.trust.js';

/**
 * What a connection keeps of its upgrade request: params, the raw URL, headers and the peer
 * address. The IncomingMessage itself is dropped so an idle connection stays small; query and
 * cookies are parsed on first use.
 */
export class KwsRequest {
  private queryCache: URLSearchParams | undefined;
  private cookieCache: Map<string, string> | undefined;

  constructor(
    readonly params: KwsRouteParams,
    readonly url: string,
    readonly headers: IncomingHttpHeaders,
    readonly ip: string,
  ) {}

  /** `trust` (the compiled `trustProxy`): which `X-Forwarded-For` hops to believe, right to left. */
  static from(request: IncomingMessage, params: KwsRouteParams, trust?: KwsTrustProxy): KwsRequest {
    const peer = request.socket.remoteAddress ?? '';
    const ip = clientAddress(peer, request.headers['x-forwarded-for'], trust);
    return new KwsRequest(params, request.url ?? '/', request.headers, ip);
  }

  get query(): URLSearchParams {
    if (!this.queryCache) {
      const start = this.url.indexOf('?');
      this.queryCache = new URLSearchParams(start < 0 ? '' : this.url.slice(start + 1));
    }
    return this.queryCache;
  }

  get cookies(): Map<string, string> {
    if (!this.cookieCache) this.cookieCache = parseCookies(this.headers.cookie);
    return this.cookieCache;
  }
}

function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  if (!header) return cookies;
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    if (eq < 0) continue;
    const name = pair.slice(0, eq).trim();
    let value = pair.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    if (!name || cookies.has(name)) continue;
    try {
      cookies.set(name, decodeURIComponent(value));
    } catch {
      cookies.set(name, value);
    }
  }
  return cookies;
}
