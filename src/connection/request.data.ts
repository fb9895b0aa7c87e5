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
 * Headers whose value is usually the same for every client of a server (its host, the app's
 * origin, the common browsers' user agents and languages). The last value seen of each is kept,
 * and a connection whose value equals it shares that one string instead of holding a copy.
 * A fixed set of names, one string each: a client cannot grow it.
 */
const SHARED_VALUES = new Map<string, string>(
  [
    'host',
    'origin',
    'user-agent',
    'accept',
    'accept-language',
    'accept-encoding',
    'cache-control',
    'pragma',
    'sec-websocket-protocol',
    'sec-fetch-dest',
    'sec-fetch-mode',
    'sec-fetch-site',
    'sec-ch-ua',
    'sec-ch-ua-mobile',
    'sec-ch-ua-platform',
    'dnt',
  ].map((name) => [name, '']),
);

function shared(name: string, value: string | string[]): string | string[] {
  if (typeof value !== 'string') return value;
  const last = SHARED_VALUES.get(name);
  if (last === undefined) return value;
  if (last === value) return last;
  SHARED_VALUES.set(name, value);
  return value;
}

/** Query, cookies and the address: made on the first read of any of them. */
interface KwsParsedRequest {
  query: URLSearchParams | undefined;
  cookies: Map<string, string> | undefined;
  address: string | undefined;
}

/**
 * What a connection keeps of its upgrade request: params, the raw URL, the headers `header()` and
 * `cookies()` answer from, and the peer address once asked for. The IncomingMessage itself is
 * dropped so an idle connection stays small; query, cookies and the address are read on first use.
 */
export class KwsRequest {
  private parsed: KwsParsedRequest | undefined = undefined;

  constructor(
    readonly params: KwsRouteParams,
    readonly url: string,
    /** Lower-case names and values, flat: `[name, value, name, value, ...]`. */
    private readonly headerList: readonly (string | string[])[],
    /** The TCP (or TLS) socket the upgrade handed to `ws`: where frames are written. */
    readonly socket: Socket,
  ) {}

  /** `path`: the endpoint's path, whose string every upgrade to it without a query shares. */
  static from(request: IncomingMessage, params: KwsRouteParams, path?: string): KwsRequest {
    const headers = request.headers;
    let kept = 0;
    for (const name in headers) {
      if (headers[name] !== undefined && !HANDSHAKE_HEADERS.has(name)) kept += 2;
    }
    // Sized exactly: an array grown by push keeps room for 16 more entries, for life.
    const list = Array.from<string | string[]>({ length: kept });
    let at = 0;
    // Node's header names are interned strings shared by every request: only values cost memory.
    for (const name in headers) {
      const value = headers[name];
      if (value === undefined || HANDSHAKE_HEADERS.has(name)) continue;
      list[at++] = name;
      list[at++] = shared(name, value);
    }
    const url = path !== undefined && request.url === path ? path : (request.url ?? '/');
    return new KwsRequest(params, url, list, request.socket as Socket);
  }

  /** A header by lower-case name (an array for repeated `set-cookie`-like headers). */
  header(name: string): string | string[] | undefined {
    const list = this.headerList;
    for (let i = 0; i < list.length; i += 2) if (list[i] === name) return list[i + 1];
    return undefined;
  }

  /**
   * The client's address: the socket's peer, or behind proxies trusted by `trust` (the compiled
   * `trustProxy`) the one `X-Forwarded-For` names. Read on first use (a `getpeername` call most
   * connections never need) and kept; '' once the socket is gone if it was never read.
   */
  ip(trust: KwsTrustProxy | undefined): string {
    const parsed = this.parse();
    if (parsed.address === undefined) {
      const peer = this.socket.remoteAddress;
      if (peer === undefined) return '';
      parsed.address = clientAddress(peer, this.header('x-forwarded-for'), trust);
    }
    return parsed.address;
  }

  get query(): URLSearchParams {
    const parsed = this.parse();
    if (!parsed.query) {
      const start = this.url.indexOf('?');
      parsed.query = new URLSearchParams(start < 0 ? '' : this.url.slice(start + 1));
    }
    return parsed.query;
  }

  get cookies(): Map<string, string> {
    const parsed = this.parse();
    if (!parsed.cookies) {
      const header = this.header('cookie');
      parsed.cookies = parseCookies(typeof header === 'string' ? header : undefined);
    }
    return parsed.cookies;
  }

  private parse(): KwsParsedRequest {
    return (this.parsed ??= { query: undefined, cookies: undefined, address: undefined });
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
