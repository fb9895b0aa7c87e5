import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { KwsRouteParams } from '../transport/path.matcher.js';
import { clientAddress, type KwsTrustProxy } from '../transport/proxy.trust.js';

/** Headers that only served the WebSocket handshake; `ws` has consumed them, nothing reads them later. */
const HANDSHAKE_HEADERS: ReadonlySet<string> = new Set([
  'connection',
  'upgrade',
  'sec-websocket-key',
  'sec-websocket-version',
  'sec-websocket-extensions',
]);

/**
 * What a connection keeps of its upgrade request: params, the raw URL, the headers `header()` and
 * `cookies()` answer from, and the peer address once asked for. The IncomingMessage itself is
 * dropped so an idle connection stays small; query, cookies and the address are read on first use.
 */
export class KwsRequest {
  private queryCache: URLSearchParams | undefined;
  private cookieCache: Map<string, string> | undefined;
  private address: string | undefined;

  constructor(
    readonly params: KwsRouteParams,
    readonly url: string,
    /** Lower-case names and values, flat: `[name, value, name, value, ...]`. */
    private readonly headerList: readonly (string | string[])[],
    /** The TCP (or TLS) socket the upgrade handed to `ws`: where frames are written. */
    readonly socket: Socket,
    /** The compiled `trustProxy`: which `X-Forwarded-For` hops to believe, right to left. */
    private readonly trust: KwsTrustProxy | undefined,
  ) {}

  /** `path`: the endpoint's path, whose string every upgrade to it without a query shares. */
  static from(
    request: IncomingMessage,
    params: KwsRouteParams,
    trust?: KwsTrustProxy,
    path?: string,
  ): KwsRequest {
    const headers = request.headers;
    const list: (string | string[])[] = [];
    // Node's header names are interned strings shared by every request: only values cost memory.
    for (const name in headers) {
      const value = headers[name];
      if (value !== undefined && !HANDSHAKE_HEADERS.has(name)) list.push(name, value);
    }
    const url = path !== undefined && request.url === path ? path : (request.url ?? '/');
    return new KwsRequest(params, url, list, request.socket as Socket, trust);
  }

  /** A header by lower-case name (an array for repeated `set-cookie`-like headers). */
  header(name: string): string | string[] | undefined {
    const list = this.headerList;
    for (let i = 0; i < list.length; i += 2) if (list[i] === name) return list[i + 1];
    return undefined;
  }

  /**
   * The client's address: the socket's peer, or behind proxies trusted by `trustProxy` the one
   * `X-Forwarded-For` names. Read on first use (a `getpeername` call most connections never need)
   * and kept; '' once the socket is gone if it was never read.
   */
  get ip(): string {
    if (this.address === undefined) {
      const peer = this.socket.remoteAddress;
      if (peer === undefined) return '';
      this.address = clientAddress(peer, this.header('x-forwarded-for'), this.trust);
    }
    return this.address;
  }

  get query(): URLSearchParams {
    if (!this.queryCache) {
      const start = this.url.indexOf('?');
      this.queryCache = new URLSearchParams(start < 0 ? '' : this.url.slice(start + 1));
    }
    return this.queryCache;
  }

  get cookies(): Map<string, string> {
    if (!this.cookieCache) {
      const header = this.header('cookie');
      this.cookieCache = parseCookies(typeof header === 'string' ? header : undefined);
    }
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
