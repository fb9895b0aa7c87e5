import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { KwsRouteParams, PathMatcher } from './path.matcher.js';
import { writeRefusal } from './upgrade.gate.js';

/** One endpoint's share of an HTTP server: the upgrades and plain requests for its path. */
export interface UpgradeRoute {
  readonly matcher: PathMatcher;
  onUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer, params: KwsRouteParams): void;
  onRequest(request: IncomingMessage, response: ServerResponse): void;
}

type Listener = (...args: any[]) => void;
/** A foreign listener wrapped so it never sees our paths; `.listener` keeps removeListener working. */
type Wrapped = Listener & { listener: Listener; [OURS]?: true };

const OURS = Symbol('kws-router');
const EVENTS = ['upgrade', 'request'] as const;
const routers = new WeakMap<Server, UpgradeRouter>();
const MATCH = Symbol('kws-match');
interface Routed extends IncomingMessage {
  [MATCH]?: { route: UpgradeRoute; params: KwsRouteParams } | null;
}

/**
 * The one place kws endpoints meet an HTTP server. Upgrades and requests for a kws path go to its
 * route and are hidden from every other listener (a `ws` server, `@nestjs/platform-ws`'s WsAdapter
 * or engine.io would otherwise answer 400 or destroy them); other paths go to those listeners
 * untouched. With no other listener, an unknown path gets 404 instead of hanging. Listeners added
 * later are wrapped the same way; all is undone when the last route leaves.
 */
export class UpgradeRouter {
  private readonly routes = new Set<UpgradeRoute>();
  private readonly onUpgrade: Wrapped;
  private readonly onRequest: Wrapped;
  private readonly onNewListener: (event: string | symbol, listener: Listener) => void;

  private constructor(private readonly server: Server) {
    this.onUpgrade = ours((request: Routed, socket: Duplex, head: Buffer) => {
      const match = this.match(request);
      if (match) match.route.onUpgrade(request, socket, head, match.params);
      else if (this.foreignCount('upgrade') === 0) writeRefusal(socket, 404, 'Not Found');
    });
    this.onRequest = ours((request: Routed, response: ServerResponse) => {
      const match = this.match(request);
      if (match) match.route.onRequest(request, response);
      else if (this.foreignCount('request') === 0) response.writeHead(404).end();
    });
    this.onNewListener = (event, listener) => {
      if (!isRouted(event) || (listener as Wrapped)[OURS]) return;
      // Wrap it once it is in place (the same turn: no request can slip in between).
      queueMicrotask(() => this.wrap(event, listener));
    };
  }

  /** Adds a route to the server's router (installing the router first); returns its removal. */
  static add(server: Server, route: UpgradeRoute): () => void {
    let router = routers.get(server);
    if (!router) {
      router = new UpgradeRouter(server);
      routers.set(server, router);
      router.install();
    }
    router.routes.add(route);
    return () => {
      if (!router.routes.delete(route) || router.routes.size > 0) return;
      router.uninstall();
      routers.delete(server);
    };
  }

  private install(): void {
    for (const event of EVENTS) {
      for (const listener of this.server.rawListeners(event) as Listener[]) {
        this.wrap(event, listener);
      }
    }
    this.server.prependListener('upgrade', this.onUpgrade);
    this.server.prependListener('request', this.onRequest);
    this.server.on('newListener', this.onNewListener);
  }

  private uninstall(): void {
    this.server.removeListener('newListener', this.onNewListener);
    this.server.removeListener('upgrade', this.onUpgrade);
    this.server.removeListener('request', this.onRequest);
    for (const event of EVENTS) {
      const raw = this.server.rawListeners(event) as Wrapped[];
      this.server.removeAllListeners(event);
      for (const listener of raw) {
        this.server.on(event, listener[OURS] ? listener.listener : listener);
      }
    }
  }

  /** Puts a wrapper in a foreign listener's place, keeping the order of listeners. */
  private wrap(event: (typeof EVENTS)[number], listener: Listener): void {
    const raw = this.server.rawListeners(event) as Listener[];
    const index = raw.indexOf(listener);
    // Gone already, ours, or a `once` listener (its own wrapper must stay removable).
    if (index < 0 || (listener as Wrapped)[OURS] || 'listener' in listener) return;
    const isOurs = (request: Routed): boolean => this.match(request) !== null;
    const wrapped = function (this: Server, request: Routed, ...rest: unknown[]): void {
      if (isOurs(request)) return;
      (listener as (...args: unknown[]) => void).call(this, request, ...rest);
    } as unknown as Wrapped;
    wrapped.listener = listener;
    wrapped[OURS] = true;
    this.server.removeAllListeners(event);
    raw[index] = wrapped;
    for (const each of raw) this.server.on(event, each);
  }

  private foreignCount(event: (typeof EVENTS)[number]): number {
    let count = 0;
    for (const listener of this.server.rawListeners(event) as Wrapped[]) {
      if (listener !== this.onUpgrade && listener !== this.onRequest) count++;
    }
    return count;
  }

  private match(request: Routed): { route: UpgradeRoute; params: KwsRouteParams } | null {
    if (request[MATCH] !== undefined) return request[MATCH];
    const pathname = pathnameOf(request.url);
    let found: Routed[typeof MATCH] = null;
    for (const route of this.routes) {
      const params = route.matcher(pathname);
      if (params) {
        found = { route, params };
        break;
      }
    }
    request[MATCH] = found;
    return found;
  }
}

function ours<T extends (...args: never[]) => void>(listener: T): Wrapped {
  const marked = listener as unknown as Wrapped;
  marked[OURS] = true;
  return marked;
}

function isRouted(event: string | symbol): event is (typeof EVENTS)[number] {
  return event === 'upgrade' || event === 'request';
}

function pathnameOf(url: string | undefined): string {
  if (!url) return '/';
  const query = url.indexOf('?');
  return query < 0 ? url : url.slice(0, query);
}
